//! Charts drawn as SVG on the server: horizontal bars (regions, categories) and a monthly trend
//! line. Every element links to its drill-down; every chart is labelled in Chinese with its
//! unit. The viewBox is narrow enough that the labels stay legible when a phone scales it down,
//! and the page's print stylesheet keeps them on A4.

use std::fmt::Write;

/// One bar or point: its label, its value (shown as `shown`), and where a click leads.
pub(crate) struct Datum {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub href: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 400.0;

/// At most this many bars; the rest are named in a line under the chart.
const MAX_BARS: usize = 20;

/// Horizontal bars, largest first; zero rows are left out and counted in a note, and past
/// [`MAX_BARS`] the smallest are too. `unit` goes into the title (e.g. "小时").
pub(crate) fn bars(id: &str, title: &str, unit: &str, all: &[Datum]) -> String {
    let mut data: Vec<&Datum> = all.iter().filter(|d| d.value > 0.0).collect();
    if data.is_empty() {
        // nothing to draw: the table below says so
        return String::new();
    }
    data.sort_by(|a, b| b.value.partial_cmp(&a.value).unwrap_or(std::cmp::Ordering::Equal));
    let zero = all.len() - data.len();
    let cut = data.len().saturating_sub(MAX_BARS);
    data.truncate(MAX_BARS);
    let note = match (cut, zero) {
        (0, 0) => String::new(),
        (0, z) => format!("另有 {z} 项为 0"),
        (c, 0) => format!("另有 {c} 项较少，见下表"),
        (c, z) => format!("另有 {c} 项较少、{z} 项为 0，见下表"),
    };
    let row = 30.0;
    let top = 32.0;
    let label_w = 118.0;
    let value_w = 64.0;
    let bar_w = WIDTH - label_w - value_w - 8.0;
    let height = top + row * data.len().max(1) as f64 + if note.is_empty() { 8.0 } else { 30.0 };
    let max = data.iter().map(|d| d.value).fold(0.0, f64::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{t}（单位：{u}）</title><text x="0" y="16" class="chart-title">{t}（{u}）</text>"##,
        t = esc(title),
        u = esc(unit),
    );
    for (i, d) in data.iter().enumerate() {
        let y = top + row * i as f64;
        let w = if max > 0.0 {
            (d.value / max * bar_w).max(if d.value > 0.0 { 1.5 } else { 0.0 })
        } else {
            0.0
        };
        let label: String = d.label.chars().take(7).collect();
        let _ = write!(
            s,
            r#"<a href="{href}" class="chart-link"><title>{full}：{shown} {u}</title><rect x="0" y="{y0}" width="{WIDTH}" height="{row}" class="chart-hit"/><text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text><rect x="{bx}" y="{by}" width="{w:.1}" height="18" class="chart-bar"/><text x="{vx:.1}" y="{ty}" class="chart-value">{shown}</text></a>"#,
            href = esc(&d.href),
            full = esc(&d.label),
            shown = esc(&d.shown),
            u = esc(unit),
            y0 = y,
            lx = label_w - 6.0,
            ty = y + 20.0,
            label = esc(&label),
            bx = label_w,
            by = y + 6.0,
            vx = label_w + w + 4.0,
        );
    }
    if !note.is_empty() {
        let _ = write!(
            s,
            r#"<text x="0" y="{}" class="chart-axis">{}</text>"#,
            height - 10.0,
            esc(&note)
        );
    }
    s.push_str("</svg>");
    s
}

/// A line over months with a point per month; `data` in month order.
pub(crate) fn trend(id: &str, title: &str, unit: &str, data: &[Datum]) -> String {
    let (left, right, top, bottom) = (44.0, 10.0, 30.0, 26.0);
    let height = 210.0;
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = data.iter().map(|d| d.value).fold(0.0, f64::max);
    let scale_max = nice_ceiling(max);
    let x = |i: usize| {
        if data.len() <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (data.len() - 1) as f64
        }
    };
    let y = |v: f64| {
        top + plot_h
            - if scale_max > 0.0 {
                v / scale_max * plot_h
            } else {
                0.0
            }
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{t}（单位：{u}）</title><text x="0" y="16" class="chart-title">{t}（{u}）</text>"##,
        t = esc(title),
        u = esc(unit),
    );
    for k in 0..=4 {
        let v = scale_max * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line x1="{left}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" class="chart-grid"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="chart-axis">{v}</text>"#,
            x2 = WIDTH - right,
            tx = left - 4.0,
            ty = yy + 4.0,
            v = short_number(v),
        );
    }
    if data.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let points: Vec<String> = data
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", x(i), y(d.value)))
        .collect();
    let _ = write!(
        s,
        r#"<polyline points="{}" class="chart-line"/>"#,
        points.join(" ")
    );
    let every = data.len().div_ceil(12).max(1);
    for (i, d) in data.iter().enumerate() {
        let _ = write!(
            s,
            r#"<a href="{href}" class="chart-link"><title>{label}：{shown} {u}</title><rect x="{hx:.1}" y="{top}" width="{hw:.1}" height="{ph}" class="chart-hit"/><circle cx="{cx:.1}" cy="{cy:.1}" r="3.5" class="chart-point"/></a>"#,
            href = esc(&d.href),
            label = esc(&d.label),
            shown = esc(&d.shown),
            u = esc(unit),
            hx = x(i) - plot_w / data.len().max(1) as f64 / 2.0,
            hw = plot_w / data.len().max(1) as f64,
            ph = plot_h,
            cx = x(i),
            cy = y(d.value),
        );
        if i % every == 0 {
            let short = d.label.split('年').nth(1).unwrap_or(&d.label).to_owned();
            let _ = write!(
                s,
                r#"<text x="{tx:.1}" y="{ty}" text-anchor="middle" class="chart-axis">{l}</text>"#,
                tx = x(i),
                ty = height - 8.0,
                l = esc(if i == 0 || short == "1月" {
                    &d.label
                } else {
                    &short
                }),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// 1, 2 or 5 times a power of ten at or above `v` (the top of an axis).
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 4.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

/// An axis number: 1.2万 past ten thousand, else at most one decimal.
fn short_number(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{}万", trim(v / 10_000.0))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(label: &str, value: f64) -> Datum {
        Datum {
            label: label.into(),
            value,
            shown: format!("{value}"),
            href: format!("/stats?x={label}&y=1"),
        }
    }

    #[test]
    fn bars_link_every_element_and_escape_text() {
        let svg = bars(
            "by-region",
            "各区服务时长",
            "小时",
            &[d("<海淀>", 5.0), d("朝阳区", 10.0), d("东城区", 0.0)],
        );
        assert_eq!(svg.matches("<a href=").count(), 2);
        assert!(
            svg.find("朝阳区").unwrap() < svg.find("&lt;海淀&gt;").unwrap(),
            "largest first"
        );
        assert!(svg.contains("另有 1 项为 0"));
        assert!(svg.contains("/stats?x=朝阳区&amp;y=1"));
        assert!(svg.contains("&lt;海淀&gt;"));
        assert!(svg.contains("各区服务时长（小时）"));
        assert!(bars("e", "空", "小时", &[]).is_empty());
        assert!(bars("e", "零", "小时", &[d("东城区", 0.0)]).is_empty());
    }

    #[test]
    fn the_trend_has_a_point_per_month_and_a_readable_axis() {
        let data: Vec<Datum> = (1..=12)
            .map(|m| d(&format!("2023年{m}月"), m as f64 * 1000.0))
            .collect();
        let svg = trend("trend", "月度服务时长", "小时", &data);
        assert_eq!(svg.matches("<circle").count(), 12);
        assert!(svg.contains("2023年1月"));
        assert!(svg.contains(">1.2万<") || svg.contains(">2万<"), "{svg}");
        assert_eq!(nice_ceiling(12_000.0), 20_000.0);
        assert_eq!(nice_ceiling(0.0), 4.0);
    }
}
