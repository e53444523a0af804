//! Finding and loading the CJK font. The font is never bundled: it comes from the system
//! (Debian's fonts-wqy-microhei, or fonts-noto-cjk) or from `ZHIYUAN_CJK_FONT`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use krilla::text::Font;

use crate::PdfError;

/// Environment variable naming a font file to use instead of the system fonts.
pub const FONT_ENV: &str = "ZHIYUAN_CJK_FONT";

/// System fonts tried in order when `ZHIYUAN_CJK_FONT` is not set.
pub const SYSTEM_FONTS: [&str; 2] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// The path of the CJK font used for certificates: `ZHIYUAN_CJK_FONT` when set (it must then
/// name an existing file), otherwise the first of [`SYSTEM_FONTS`] that exists.
pub fn find_cjk_font() -> Result<PathBuf, PdfError> {
    let candidates: Vec<&Path> = SYSTEM_FONTS.iter().map(Path::new).collect();
    find_font_in(std::env::var_os(FONT_ENV), &candidates)
}

pub(crate) fn find_font_in(env: Option<OsString>, candidates: &[&Path]) -> Result<PathBuf, PdfError> {
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(PdfError::FontEnvMissing(path))
        };
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| p.to_path_buf())
        .ok_or(PdfError::FontNotFound)
}

/// Which face of a collection to use: Noto Sans CJK collections hold JP, KR, SC, TC, HK in that
/// order, and certificates want the Simplified Chinese glyph forms (index 2). Everything else
/// (wqy-microhei.ttc: Micro Hei, then Micro Hei Mono; plain .ttf/.otf files) uses its first face.
fn face_index(path: &Path) -> u32 {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.starts_with("NotoSansCJK") && name.ends_with(".ttc") {
        2
    } else {
        0
    }
}

/// The font last loaded, kept so that each certificate does not re-read and re-parse the file.
static LOADED: Mutex<Option<(PathBuf, Font)>> = Mutex::new(None);

/// Loads the font at `path` (reusing the one already loaded from the same path).
pub(crate) fn load_font(path: &Path) -> Result<Font, PdfError> {
    let mut cached = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((p, font)) = cached.as_ref() {
        if p == path {
            return Ok(font.clone());
        }
    }
    let data = std::fs::read(path).map_err(|source| PdfError::FontRead {
        path: path.to_path_buf(),
        source,
    })?;
    let index = face_index(path);
    let font = Font::new(data.clone().into(), index)
        .or_else(|| {
            if index == 0 {
                None
            } else {
                Font::new(data.into(), 0)
            }
        })
        .ok_or_else(|| PdfError::FontInvalid(path.to_path_buf()))?;
    *cached = Some((path.to_path_buf(), font.clone()));
    Ok(font)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_variable_wins_and_must_exist() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let found = find_font_in(Some(here.clone().into()), &[Path::new("/nonexistent")]).unwrap();
        assert_eq!(found, here);
        let err = find_font_in(Some("/nonexistent/font.ttc".into()), &[&here]).unwrap_err();
        assert!(matches!(err, PdfError::FontEnvMissing(_)));
        assert!(err.to_string().contains("ZHIYUAN_CJK_FONT"));
    }

    #[test]
    fn falls_back_through_candidates_and_reports_missing_font_in_chinese() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let found = find_font_in(Some(OsString::new()), &[Path::new("/nonexistent"), &here]).unwrap();
        assert_eq!(found, here);
        let err = find_font_in(None, &[Path::new("/nonexistent")]).unwrap_err();
        assert!(matches!(err, PdfError::FontNotFound));
        assert!(err.to_string().contains("找不到中文字体"), "{err}");
        assert!(err.to_string().contains("fonts-wqy-microhei"), "{err}");
    }

    #[test]
    fn noto_collections_use_the_simplified_chinese_face() {
        assert_eq!(
            face_index(Path::new(
                "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
            )),
            2
        );
        assert_eq!(
            face_index(Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
            0
        );
        assert_eq!(face_index(Path::new("/tmp/SomeFont.otf")), 0);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_rejected() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        assert!(matches!(load_font(&here), Err(PdfError::FontInvalid(_))));
    }
}
