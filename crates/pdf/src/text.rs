//! Width estimates, line wrapping and truncation for mixed CJK / Latin text.
//!
//! Widths are estimated per character instead of read from the font: every non-ASCII character
//! (Han characters, full-width punctuation, "…") takes 1 em, ASCII characters take a conservative
//! share of an em calibrated against WenQuanYi Micro Hei (digits 0.55 em, the widest letters 0.9
//! em). Over-estimating keeps wrapped and truncated text inside its box whichever CJK font is used.

/// Estimated advance of `c` in em.
pub(crate) fn char_em(c: char) -> f32 {
    match c {
        '0'..='9' => 0.56,
        ' ' | '.' | ',' | ':' | ';' | '!' | '\'' | '|' | 'i' | 'j' | 'l' | 'I' | 'J' => 0.32,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.9,
        'A'..='Z' => 0.75,
        c if c.is_ascii() => 0.6,
        _ => 1.0,
    }
}

/// Estimated width of `text` in points at `size`.
pub(crate) fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(char_em).sum::<f32>() * size
}

/// Characters that must not start a line (closing punctuation, 避头点).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』】〕…·,.;:?!)]}%".contains(c)
}

/// Whether `c` belongs inside an unbreakable Latin "word" (numbers, codes, masked IDs, URLs).
fn is_word_char(c: char) -> bool {
    c.is_ascii_graphic()
}

/// Splits `text` into the units that lines are made of: a run of ASCII graphic characters
/// stays together, every other character is a unit of its own.
fn units(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
        out.push(&text[i..i + c.len_utf8()]);
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Breaks `text` into lines: the first at most `first_width` wide, the others at most `width`.
/// CJK text breaks between any two characters; a run of ASCII characters (a number, a masked ID,
/// a URL) is kept whole unless it is wider than a line. Closing punctuation is kept off the start
/// of a line by carrying the previous character down with it, spaces at a break are dropped, and
/// newlines in `text` force a break. Never returns an empty list.
pub(crate) fn wrap(text: &str, first_width: f32, width: f32, size: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let limit = |lines: &Vec<String>| if lines.is_empty() { first_width } else { width };
    for unit in units(text) {
        if unit == "\n" {
            lines.push(std::mem::take(&mut line));
            continue;
        }
        let fits = |line: &str, lines: &Vec<String>| {
            text_width(line, size) + text_width(unit, size) <= limit(lines) + 0.01
        };
        if fits(&line, &lines) {
            line.push_str(unit);
            continue;
        }
        if unit == " " {
            lines.push(std::mem::take(&mut line));
            continue;
        }
        if text_width(unit, size) > width {
            // Too long for any line: fill this line, then break the unit character by character.
            for c in unit.chars() {
                if !line.is_empty() && text_width(&line, size) + char_em(c) * size > limit(&lines) + 0.01 {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
            continue;
        }
        let mut carried = String::new();
        if unit.starts_with(no_line_start) {
            // Carry the last unit of the line (a whole word, or one character) down as well.
            let word_start = line.trim_end_matches(is_word_char).len();
            let cut = if word_start < line.len() {
                word_start
            } else {
                line.char_indices().last().map_or(0, |(i, _)| i)
            };
            if cut > 0 {
                carried = line.split_off(cut);
            }
        }
        lines.push(std::mem::take(&mut line).trim_end().to_string());
        line = carried;
        line.push_str(unit);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut so that it fits in `width`, ending in "…" when something was cut.
pub(crate) fn truncate(text: &str, width: f32, size: f32) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let budget = width - char_em('…') * size;
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = char_em(c) * size;
        if used + w > budget {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_cjk_as_one_em() {
        assert_eq!(text_width("志愿服务", 10.0), 40.0);
        assert!((text_width("2026", 10.0) - 22.4).abs() < 1e-3);
    }

    #[test]
    fn wrap_respects_widths_and_keeps_every_character() {
        let text = "兹证明张三于二〇二五年参加志愿服务，累计服务时长126.5小时。具体服务记录如下：";
        let lines = wrap(text, 80.0, 100.0, 10.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.concat(), text);
        assert!(text_width(&lines[0], 10.0) <= 80.0 + 0.01);
        for line in &lines {
            assert!(text_width(line, 10.0) <= 100.0 + 0.01, "{line}");
            assert!(!line.starts_with('，') && !line.starts_with('。'), "{line}");
        }
        assert_eq!(wrap("", 10.0, 10.0, 10.0), vec![String::new()]);
        assert_eq!(wrap("甲\n乙", 100.0, 100.0, 10.0), vec!["甲", "乙"]);
    }

    #[test]
    fn wrap_keeps_codes_whole_and_breaks_overlong_ones() {
        let lines = wrap("志愿者编号：V1101050000456）于", 100.0, 100.0, 10.0);
        assert_eq!(lines, vec!["志愿者编号：", "V1101050000456）", "于"]);
        let lines = wrap("编号：V1101050000456）", 115.0, 115.0, 10.0);
        assert_eq!(lines, vec!["编号：", "V1101050000456）"]);
        let url = "https://zhiyuan.example.org/verify/ZY20261101050000123";
        let lines = wrap(url, 100.0, 100.0, 10.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), url);
        assert!(lines.iter().all(|l| text_width(l, 10.0) <= 100.01));
    }

    #[test]
    fn truncate_adds_ellipsis_only_when_needed() {
        assert_eq!(truncate("社区服务", 40.0, 10.0), "社区服务");
        let cut = truncate("社区环境清洁志愿服务活动", 50.0, 10.0);
        assert_eq!(cut, "社区环境…");
        assert!(text_width(&cut, 10.0) <= 50.0);
    }
}
