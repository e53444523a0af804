//! Rotating signed QR tokens for checking in to a shift (签到二维码).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::DomainError;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in a token.
const SIG_BYTES: usize = 16;

/// A token names the shift and a time window; it is HMAC-SHA256-signed with the server key.
/// Format (URL-safe, no padding): "<shift_id>.<window>.<sig>" where window = unix_seconds / period
/// and sig = first 16 bytes of HMAC(key, "zy-checkin|<shift_id>|<window>") base64url.
///
/// Windows are computed with floor division, and a period below one second is read as one
/// second, so no input panics.
#[derive(Clone)]
pub struct QrSigner {
    key: Vec<u8>,
}

impl fmt::Debug for QrSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QrSigner { key: <redacted> }")
    }
}

impl QrSigner {
    /// How long one code is shown before it rotates.
    pub const DEFAULT_PERIOD_SECS: i64 = 120;

    /// A signer with the server key (any length; HMAC hashes long keys).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, shift_id: i64, window: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(format!("zy-checkin|{shift_id}|{window}").as_bytes());
        mac
    }

    fn window(at_unix: i64, period_secs: i64) -> i64 {
        at_unix.div_euclid(period_secs.max(1))
    }

    /// The token for `shift_id` shown at `at_unix`.
    pub fn token(&self, shift_id: i64, at_unix: i64, period_secs: i64) -> String {
        let window = Self::window(at_unix, period_secs);
        let tag = self.mac(shift_id, window).finalize().into_bytes();
        format!(
            "{shift_id}.{window}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..SIG_BYTES])
        )
    }

    /// Valid in its own window and the one before (so a code shown just before rotation still works); returns the shift id.
    /// Forged, malformed (including non-canonical numbers) and expired tokens, and tokens from a
    /// future window, are all [`DomainError::QrToken`]. Surrounding whitespace is ignored.
    pub fn verify(&self, token: &str, at_unix: i64, period_secs: i64) -> Result<i64, DomainError> {
        let bad = || DomainError::QrToken;
        let mut parts = token.trim().split('.');
        let (Some(id), Some(win), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let shift_id = parse_canonical(id).ok_or_else(bad)?;
        let window = parse_canonical(win).ok_or_else(bad)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| bad())?;
        if sig.len() != SIG_BYTES {
            return Err(bad());
        }
        // Constant-time comparison of the kept left half of the tag.
        self.mac(shift_id, window)
            .verify_truncated_left(&sig)
            .map_err(|_| bad())?;
        let now = Self::window(at_unix, period_secs);
        if window == now || Some(window) == now.checked_sub(1) {
            Ok(shift_id)
        } else {
            Err(bad())
        }
    }

    /// The first instant (unix seconds) at which a token issued at `at_unix` no longer verifies:
    /// the end of the window after its own.
    pub fn expires_at(&self, at_unix: i64, period_secs: i64) -> i64 {
        let p = period_secs.max(1);
        Self::window(at_unix, p).saturating_add(2).saturating_mul(p)
    }

    /// When the code shown at `at_unix` should be replaced by a new one: the end of its window.
    pub fn rotates_at(&self, at_unix: i64, period_secs: i64) -> i64 {
        let p = period_secs.max(1);
        Self::window(at_unix, p).saturating_add(1).saturating_mul(p)
    }
}

/// A decimal i64 written exactly as `i64::to_string` would (no '+', no leading zeros, no "-0").
fn parse_canonical(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: i64 = QrSigner::DEFAULT_PERIOD_SECS;

    fn signer() -> QrSigner {
        QrSigner::new(b"test key for check-in tokens")
    }

    #[test]
    fn format() {
        let s = signer();
        let tok = s.token(42, 1_760_000_000, P);
        let parts: Vec<_> = tok.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "42");
        assert_eq!(parts[1], (1_760_000_000 / P).to_string());
        assert_eq!(parts[2].len(), 22);
        assert!(
            tok.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{tok}"
        );
        // Known answer: the signature is the left 16 bytes of HMAC-SHA256 over the message.
        let mut mac = HmacSha256::new_from_slice(b"test key for check-in tokens").unwrap();
        mac.update(format!("zy-checkin|42|{}", 1_760_000_000 / P).as_bytes());
        let full = mac.finalize().into_bytes();
        assert_eq!(parts[2], URL_SAFE_NO_PAD.encode(&full[..16]));
        assert!(!format!("{s:?}").contains("test key"));
    }

    #[test]
    fn valid_in_its_window_and_the_next() {
        let s = signer();
        let start = 1_760_000_040; // window start: 1_760_000_040 / 120 * 120
        assert_eq!(start % P, 0);
        let tok = s.token(7, start + 5, P);
        assert_eq!(s.verify(&tok, start, P), Ok(7));
        assert_eq!(s.verify(&tok, start + P - 1, P), Ok(7));
        assert_eq!(s.verify(&tok, start + P, P), Ok(7));
        assert_eq!(s.verify(&tok, start + 2 * P - 1, P), Ok(7));
        assert_eq!(s.verify(&tok, start + 2 * P, P), Err(DomainError::QrToken));
        assert_eq!(s.verify(&tok, start - 1, P), Err(DomainError::QrToken));
        assert_eq!(s.expires_at(start + 5, P), start + 2 * P);
        assert_eq!(s.rotates_at(start + 5, P), start + P);
        assert_eq!(s.verify(&format!("  {tok}\n"), start, P), Ok(7));
    }

    #[test]
    fn forged_and_malformed() {
        let s = signer();
        let now = 1_760_000_000;
        let tok = s.token(7, now, P);
        let (rest, sig) = tok.rsplit_once('.').unwrap();
        let bad = [
            String::new(),
            "7".into(),
            "7.1".into(),
            format!("{tok}.x"),
            tok.replacen("7.", "8.", 1),
            tok.replacen("7.", "07.", 1),
            tok.replacen("7.", "+7.", 1),
            format!("{rest}.{}", &sig[..21]),
            format!("{rest}.{sig}A"),
            format!("{rest}.{sig}=="),
            format!("{rest}.{}", "A".repeat(22)),
            format!("{rest}.{}", sig.replace(|c: char| c.is_ascii_alphanumeric(), "*")),
            QrSigner::new(b"another key").token(7, now, P),
            s.token(7, now - 2 * P, P),
            s.token(7, now + P, P),
        ];
        for b in bad {
            assert_eq!(s.verify(&b, now, P), Err(DomainError::QrToken), "{b:?}");
        }
        // A token for another period length names another window.
        assert!(s.verify(&s.token(7, now, 30), now, P).is_err());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let s = QrSigner::new(b"");
        for (id, at, p) in [
            (i64::MIN, i64::MIN, 0),
            (i64::MAX, i64::MAX, -5),
            (-1, -1, 1),
            (0, 0, i64::MAX),
        ] {
            let tok = s.token(id, at, p);
            assert_eq!(s.verify(&tok, at, p), Ok(id), "{tok}");
            let _ = s.expires_at(at, p);
            let _ = s.rotates_at(at, p);
        }
    }

    proptest! {
        #[test]
        fn round_trip(id in any::<i64>(), at in 0i64..4_000_000_000, p in 1i64..3600, lag in 0i64..7200) {
            let s = signer();
            let tok = s.token(id, at, p);
            let later = at + lag;
            let ok = later < s.expires_at(at, p);
            prop_assert_eq!(s.verify(&tok, later, p).is_ok(), ok);
            if ok {
                prop_assert_eq!(s.verify(&tok, later, p), Ok(id));
            }
        }

        #[test]
        fn garbage_is_rejected(t in "[0-9A-Za-z._+-]{0,60}") {
            prop_assert!(signer().verify(&t, 1_760_000_000, P).is_err());
        }
    }
}
