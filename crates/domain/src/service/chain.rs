//! Tamper-evident hash chains of service records (one chain per volunteer), and the signatures
//! and numbers of service-record certificates (志愿服务记录证明).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The field separator of the canonical encoding (ASCII unit separator).
const SEP: u8 = 0x1f;

/// The fields of a service record that the chain protects, in a fixed canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFacts<'a> {
    pub record_id: i64,
    pub volunteer_id: i64,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub activity: &'a str,
    /// YYYY-MM-DD
    pub date: &'a str,
    pub place: &'a str,
    pub content: &'a str,
    pub minutes: i64,
    pub organizer: &'a str,
    pub person_in_charge: &'a str,
    pub status: &'a str,
    pub created_at: i64,
}

/// The `prev_hash` of the first record of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends `text` with backslash written `\\` and the separator 0x1f written `\x1f` (four ASCII
/// characters), so the result holds no raw separator and distinct texts stay distinct.
fn push_text(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            SEP => out.extend_from_slice(b"\\x1f"),
            _ => out.push(b),
        }
    }
}

/// The canonical encoding of the facts: every field in declaration order, integers in decimal,
/// `None` as "-", texts escaped (see [`link_hash`]), joined by 0x1f.
pub fn canonical_bytes(facts: &RecordFacts) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let ints = |out: &mut Vec<u8>, n: i64| out.extend_from_slice(n.to_string().as_bytes());
    ints(&mut out, facts.record_id);
    out.push(SEP);
    ints(&mut out, facts.volunteer_id);
    out.push(SEP);
    ints(&mut out, facts.version);
    out.push(SEP);
    match facts.supersedes {
        Some(n) => ints(&mut out, n),
        None => out.push(b'-'),
    }
    for text in [facts.activity, facts.date, facts.place, facts.content] {
        out.push(SEP);
        push_text(&mut out, text);
    }
    out.push(SEP);
    ints(&mut out, facts.minutes);
    for text in [facts.organizer, facts.person_in_charge, facts.status] {
        out.push(SEP);
        push_text(&mut out, text);
    }
    out.push(SEP);
    ints(&mut out, facts.created_at);
    out
}

/// hex(SHA-256(prev_hash ‖ 0x1f ‖ canonical encoding of facts)), canonical = each field as its decimal or UTF-8 text, separated by 0x1f, "-" for None. Text containing 0x1f must not be able to collide with another field split (escape it).
///
/// Texts (and `prev_hash`) are escaped: `\` → `\\`, 0x1f → `\x1f`. The result is 64 lowercase
/// hex digits.
pub fn link_hash(prev_hash: &str, facts: &RecordFacts) -> String {
    let mut prefix = Vec::with_capacity(prev_hash.len() + 1);
    push_text(&mut prefix, prev_hash);
    prefix.push(SEP);
    let mut h = Sha256::new();
    h.update(&prefix);
    h.update(canonical_bytes(facts));
    hex::encode(h.finalize())
}

/// Verifies a whole chain in order: each (facts, stored prev_hash, stored hash); returns the index of the first broken link.
///
/// The first link must point at [`GENESIS`], every later one at the stored hash of the one
/// before, and every stored hash must equal [`link_hash`] of its facts. `Ok` carries the number
/// of links checked.
pub fn verify_chain<'a>(
    links: impl IntoIterator<Item = (RecordFacts<'a>, &'a str, &'a str)>,
) -> Result<usize, usize> {
    verify_chain_from(GENESIS, links)
}

/// As [`verify_chain`], for a segment whose first link must point at `start_prev` (e.g. a
/// checkpointed hash).
pub fn verify_chain_from<'a>(
    start_prev: &str,
    links: impl IntoIterator<Item = (RecordFacts<'a>, &'a str, &'a str)>,
) -> Result<usize, usize> {
    let mut expected_prev = start_prev.to_owned();
    let mut count = 0;
    for (i, (facts, prev, hash)) in links.into_iter().enumerate() {
        if prev != expected_prev || link_hash(prev, &facts) != hash {
            return Err(i);
        }
        expected_prev.clear();
        expected_prev.push_str(hash);
        count = i + 1;
    }
    Ok(count)
}

fn cert_mac(key: &[u8], payload: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac
}

/// HMAC-SHA256 of the certificate payload under the signing key, as 64 lowercase hex digits.
pub fn certificate_signature(key: &[u8], payload: &str) -> String {
    hex::encode(cert_mac(key, payload).finalize().into_bytes())
}

/// Whether `sig` (hex, either case, surrounding whitespace ignored) is the signature of
/// `payload` under `key`; compared in constant time.
pub fn verify_certificate_signature(key: &[u8], payload: &str, sig: &str) -> bool {
    let Ok(bytes) = hex::decode(sig.trim()) else {
        return false;
    };
    bytes.len() == 32 && cert_mac(key, payload).verify_slice(&bytes).is_ok()
}

/// Length of a certificate number whose sequence fits in seven digits.
pub const CERTIFICATE_NO_LEN: usize = 2 + 4 + 6 + 7;

/// The certificate number: "ZY" + 4-digit year + 6-digit county code + 7-digit sequence, e.g.
/// `certificate_no(2026, "110105", 123)` = "ZY20261101050000123". Never panics: the county is
/// reduced to its ASCII digits, cut or zero-padded to six; the year is taken modulo 10⁴; a
/// sequence of 10⁷ or more widens the number instead of wrapping (numbers stay unique).
pub fn certificate_no(year: i32, county6: &str, seq: u64) -> String {
    let mut county: String = county6
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(char::from)
        .take(6)
        .collect();
    while county.len() < 6 {
        county.push('0');
    }
    format!("ZY{:04}{county}{seq:07}", year.rem_euclid(10_000))
}

/// Crockford's base-32 alphabet (no I, L, O, U: nothing to misread on paper).
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of the random part of an unguessable certificate number (8 × 5 = 40 bits).
pub const CERTIFICATE_RANDOM_LEN: usize = 8;

/// An unguessable certificate number: the readable prefix "ZY" + 4-digit year + 6-digit county,
/// a hyphen, and 8 base-32 characters from `random` (40 bits), e.g.
/// `ZY2026110105-7K3QH9MX`. The old numbers (a city-wide sequence, [`certificate_no`]) let
/// anyone walk through every certificate; these cannot be listed by counting.
pub fn random_certificate_no(year: i32, county6: &str, random: [u8; 5]) -> String {
    let legacy = certificate_no(year, county6, 0);
    let prefix = &legacy[..12];
    let bits = random.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let tail: String = (0..CERTIFICATE_RANDOM_LEN)
        .rev()
        .map(|i| char::from(BASE32[((bits >> (5 * i)) & 31) as usize]))
        .collect();
    format!("{prefix}-{tail}")
}

/// The parts of a certificate number — (year, county code, sequence) — when `s` (surrounding
/// whitespace ignored, "zy" accepted) is one.
pub fn parse_certificate_no(s: &str) -> Option<(i32, String, u64)> {
    let s = s.trim();
    if s.len() < CERTIFICATE_NO_LEN || !s.is_char_boundary(2) || !s[..2].eq_ignore_ascii_case("ZY") {
        return None;
    }
    let digits = &s[2..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits[..4].parse().ok()?;
    let county = digits[4..10].to_owned();
    let seq_text = &digits[10..];
    // Widened sequences never start with 0.
    if seq_text.len() > 7 && seq_text.starts_with('0') {
        return None;
    }
    let seq = seq_text.parse().ok()?;
    Some((year, county, seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(record_id: i64, content: &'static str) -> RecordFacts<'static> {
        RecordFacts {
            record_id,
            volunteer_id: 9,
            version: 1,
            supersedes: None,
            activity: "社区环境整治",
            date: "2026-03-05",
            place: "东城区和平里街道",
            content,
            minutes: 150,
            organizer: "和平里街道新时代文明实践所",
            person_in_charge: "王芳",
            status: "confirmed",
            created_at: 1_772_700_000_000,
        }
    }

    fn build(all: &[RecordFacts<'static>]) -> Vec<(RecordFacts<'static>, String, String)> {
        let mut prev = GENESIS.to_owned();
        all.iter()
            .map(|f| {
                let h = link_hash(&prev, f);
                let link = (*f, prev.clone(), h.clone());
                prev = h;
                link
            })
            .collect()
    }

    fn as_refs<'a>(
        v: &'a [(RecordFacts<'static>, String, String)],
    ) -> Vec<(RecordFacts<'a>, &'a str, &'a str)> {
        v.iter().map(|(f, p, h)| (*f, p.as_str(), h.as_str())).collect()
    }

    #[test]
    fn canonical_encoding_is_fixed() {
        let f = RecordFacts {
            record_id: 1,
            volunteer_id: 2,
            version: 3,
            supersedes: Some(4),
            activity: "a",
            date: "2026-01-02",
            place: "p\\q",
            content: "c\u{1f}d",
            minutes: -5,
            organizer: "o",
            person_in_charge: "",
            status: "s",
            created_at: 7,
        };
        assert_eq!(
            canonical_bytes(&f),
            b"1\x1f2\x1f3\x1f4\x1fa\x1f2026-01-02\x1fp\\\\q\x1fc\\x1fd\x1f-5\x1fo\x1f\x1fs\x1f7".to_vec()
        );
        let none = RecordFacts {
            supersedes: None,
            ..f
        };
        assert!(canonical_bytes(&none).starts_with(b"1\x1f2\x1f3\x1f-\x1fa"));
        // Known answer, computed independently of link_hash.
        let mut h = Sha256::new();
        h.update(GENESIS.as_bytes());
        h.update([SEP]);
        h.update(canonical_bytes(&f));
        assert_eq!(link_hash(GENESIS, &f), hex::encode(h.finalize()));
    }

    #[test]
    fn hash_shape_and_sensitivity() {
        let f = facts(1, "清扫楼道");
        let h = link_hash(GENESIS, &f);
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(h, link_hash(GENESIS, &f));
        assert_ne!(h, link_hash(&h, &f));
        let changes = [
            RecordFacts { minutes: 151, ..f },
            RecordFacts {
                supersedes: Some(0),
                ..f
            },
            RecordFacts { version: 2, ..f },
            RecordFacts {
                status: "corrected",
                ..f
            },
            RecordFacts {
                person_in_charge: "王芳 ",
                ..f
            },
            RecordFacts {
                created_at: f.created_at + 1,
                ..f
            },
        ];
        for c in changes {
            assert_ne!(link_hash(GENESIS, &c), h, "{c:?}");
        }
    }

    #[test]
    fn separator_in_text_cannot_shift_fields() {
        let a = RecordFacts {
            activity: "x\u{1f}y",
            place: "z",
            ..facts(1, "c")
        };
        let b = RecordFacts {
            activity: "x",
            date: "y\u{1f}2026-03-05",
            ..a
        };
        assert_ne!(canonical_bytes(&a), canonical_bytes(&b));
        let c = RecordFacts {
            place: "a\\x1f",
            ..facts(1, "c")
        };
        let d = RecordFacts {
            place: "a\u{1f}",
            ..facts(1, "c")
        };
        assert_ne!(link_hash(GENESIS, &c), link_hash(GENESIS, &d));
        let e = RecordFacts {
            organizer: "o\u{1f}",
            person_in_charge: "p",
            ..facts(1, "c")
        };
        let g = RecordFacts {
            organizer: "o",
            person_in_charge: "\u{1f}p",
            ..facts(1, "c")
        };
        assert_ne!(link_hash(GENESIS, &e), link_hash(GENESIS, &g));
    }

    #[test]
    fn chain_verification() {
        assert_eq!(verify_chain(Vec::new()), Ok(0));
        let records = [facts(1, "清扫楼道"), facts(2, "陪伴老人"), facts(3, "交通引导")];
        let chain = build(&records);
        assert_eq!(verify_chain(as_refs(&chain)), Ok(3));

        // Tampered facts.
        let mut t = chain.clone();
        t[1].0.minutes = 600;
        assert_eq!(verify_chain(as_refs(&t)), Err(1));
        // Tampered stored hash: that link breaks.
        let mut t = chain.clone();
        t[2].2 = "f".repeat(64);
        assert_eq!(verify_chain(as_refs(&t)), Err(2));
        // A rewritten record with a recomputed hash breaks the next link.
        let mut t = chain.clone();
        t[0].0.content = "伪造";
        t[0].2 = link_hash(GENESIS, &t[0].0);
        assert_eq!(verify_chain(as_refs(&t)), Err(1));
        // A removed record.
        let mut t = chain.clone();
        t.remove(1);
        assert_eq!(verify_chain(as_refs(&t)), Err(1));
        // Reordered records.
        let mut t = chain.clone();
        t.swap(0, 1);
        assert_eq!(verify_chain(as_refs(&t)), Err(0));
        // First link not at genesis.
        assert_eq!(verify_chain(as_refs(&chain[1..])), Err(0));
        assert_eq!(verify_chain_from(&chain[0].2, as_refs(&chain[1..])), Ok(2));
        // Uppercase hex is not the stored form.
        let mut t = chain.clone();
        t[0].2 = t[0].2.to_uppercase();
        assert_eq!(verify_chain(as_refs(&t)), Err(0));
    }

    #[test]
    fn certificate_signatures() {
        let key = b"certificate signing key";
        let payload = "ZY20261101050000123|张三|1500";
        let sig = certificate_signature(key, payload);
        assert_eq!(sig.len(), 64);
        assert!(verify_certificate_signature(key, payload, &sig));
        assert!(verify_certificate_signature(key, payload, &sig.to_uppercase()));
        assert!(verify_certificate_signature(key, payload, &format!(" {sig}\n")));
        assert!(!verify_certificate_signature(
            key,
            "ZY20261101050000123|张三|1501",
            &sig
        ));
        assert!(!verify_certificate_signature(b"other", payload, &sig));
        assert!(!verify_certificate_signature(key, payload, &sig[..62]));
        assert!(!verify_certificate_signature(key, payload, ""));
        assert!(!verify_certificate_signature(key, payload, "zz"));
        assert!(!verify_certificate_signature(key, payload, &format!("{sig}00")));
        // RFC 4231 test case 2.
        assert_eq!(
            certificate_signature(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn certificate_numbers() {
        assert_eq!(certificate_no(2026, "110105", 123), "ZY20261101050000123");
        assert_eq!(certificate_no(2026, "110105", 123).len(), CERTIFICATE_NO_LEN);
        assert_eq!(certificate_no(2026, "1101", 1), "ZY20261101000000001");
        assert_eq!(
            certificate_no(2026, "110105001", 9_999_999),
            "ZY20261101059999999"
        );
        assert_eq!(certificate_no(2026, "110105", 12_345_678), "ZY202611010512345678");
        assert_eq!(certificate_no(-1, "x", 0), "ZY99990000000000000");
        assert_eq!(
            random_certificate_no(2026, "110105", [0; 5]),
            "ZY2026110105-00000000"
        );
        assert_eq!(
            random_certificate_no(2026, "110105", [0xff; 5]),
            "ZY2026110105-ZZZZZZZZ"
        );
        assert_eq!(
            random_certificate_no(2026, "1101", [0x08, 0x86, 0x42, 0x98, 0xe8]),
            "ZY2026110100-12345678"
        );
        assert_eq!(
            parse_certificate_no("ZY20261101050000123"),
            Some((2026, "110105".into(), 123))
        );
        assert_eq!(
            parse_certificate_no(" zy202611010512345678 "),
            Some((2026, "110105".into(), 12_345_678))
        );
        for bad in [
            "",
            "ZY2026110105000012",
            "XY20261101050000123",
            "ZY2026110105000012a",
            "ZY202611010501234567",
            "张三20261101050000123",
        ] {
            assert_eq!(parse_certificate_no(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn distinct_texts_hash_differently(a in "[a-z\\\\\u{1f}x1f]{0,8}", b in "[a-z\\\\\u{1f}x1f]{0,8}", c in "[a-z\\\\\u{1f}]{0,4}") {
            let base = facts(1, "c");
            let x = RecordFacts { activity: &a, place: &c, ..base };
            let y = RecordFacts { activity: &b, place: &c, ..base };
            prop_assert_eq!(a == b, link_hash(GENESIS, &x) == link_hash(GENESIS, &y));
            // Moving text across a field boundary changes the encoding.
            let joined = format!("{a}{c}");
            let z = RecordFacts { activity: &joined, place: "", ..base };
            if !c.is_empty() {
                prop_assert_ne!(canonical_bytes(&x), canonical_bytes(&z));
            }
        }

        #[test]
        fn certificate_no_round_trips(year in 0i32..10_000, county in "[0-9]{6}", seq in any::<u64>()) {
            let no = certificate_no(year, &county, seq);
            prop_assert_eq!(parse_certificate_no(&no), Some((year, county, seq)));
        }

        #[test]
        fn signatures_round_trip(key in proptest::collection::vec(any::<u8>(), 0..100), payload in ".{0,40}") {
            let sig = certificate_signature(&key, &payload);
            prop_assert!(verify_certificate_signature(&key, &payload, &sig));
        }
    }
}
