//! Keyset ("seek") pagination for the big lists: instead of `COUNT(*)` and `OFFSET n`, a page
//! starts after (or ends before) the sort key of a row the client already saw. Every list is
//! ordered by a unique key — its sort column and the row id — so a cursor names one position,
//! and rows inserted meanwhile neither repeat nor push others off a page. The cost of a page is
//! the same wherever it is in the list, given an index on the key.
//!
//! A cursor is plain text: `<id>` for lists ordered by id alone, `<key>.<id>` otherwise (the
//! key an integer or a `YYYY-MM-DD` date). The store writes and reads them; for everyone else
//! they are opaque.

use crate::{Result, StoreError};

/// What a list is ordered by besides the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The id alone.
    Id,
    /// An integer (an instant in milliseconds, a rank), then the id.
    Int,
    /// A `YYYY-MM-DD` date, then the id.
    Date,
}

/// Which page of a keyset-paged list to read: the first (no cursor), the one after a cursor, or
/// the one before it. Cursors arrive as the client sent them and are checked by the list.
#[derive(Clone, Debug)]
pub struct SeekRequest {
    pub after: Option<String>,
    pub before: Option<String>,
    pub per_page: i64,
}

impl SeekRequest {
    /// 1 to 200 a page, 20 by default; empty cursors count as absent.
    pub fn new(after: Option<String>, before: Option<String>, per_page: Option<i64>) -> SeekRequest {
        let present = |c: Option<String>| c.filter(|c| !c.trim().is_empty());
        SeekRequest {
            after: present(after),
            before: present(before),
            per_page: per_page.unwrap_or(20).clamp(1, 200),
        }
    }

    /// The first `per_page` rows.
    pub fn first(per_page: i64) -> SeekRequest {
        SeekRequest::new(None, None, Some(per_page))
    }

    pub fn after(cursor: &str, per_page: i64) -> SeekRequest {
        SeekRequest::new(Some(cursor.to_owned()), None, Some(per_page))
    }
}

/// A page of a keyset-paged list with the cursors of its neighbours.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Seek<T> {
    pub items: Vec<T>,
    pub per_page: i64,
    /// `after` cursor of the next page, when there is one.
    pub next: Option<String>,
    /// `before` cursor of the previous page, when there is one.
    pub prev: Option<String>,
}

impl<T> Seek<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Seek<U> {
        Seek {
            items: self.items.into_iter().map(f).collect(),
            per_page: self.per_page,
            next: self.next,
            prev: self.prev,
        }
    }

    /// The same page with other items (of the same rows, in the same order).
    pub fn with_items<U>(self, items: Vec<U>) -> Seek<U> {
        Seek {
            items,
            per_page: self.per_page,
            next: self.next,
            prev: self.prev,
        }
    }
}

/// A value of a sort key, to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyValue {
    Int(i64),
    Text(String),
}

/// A position in a list: the sort key (absent for [`KeyKind::Id`]) and the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: Option<KeyValue>,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match &self.key {
            None => self.id.to_string(),
            Some(KeyValue::Int(k)) => format!("{k}.{}", self.id),
            Some(KeyValue::Text(k)) => format!("{k}.{}", self.id),
        }
    }

    /// Reads a cursor of a list ordered by `kind`; anything else is [`StoreError::CursorInvalid`].
    pub fn parse(raw: &str, kind: KeyKind) -> Result<Cursor> {
        let bad = || StoreError::CursorInvalid;
        let raw = raw.trim();
        let id_of = |s: &str| {
            if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse::<i64>().map_err(|_| bad())
        };
        match kind {
            KeyKind::Id => Ok(Cursor {
                key: None,
                id: id_of(raw)?,
            }),
            KeyKind::Int => {
                let (k, id) = raw.rsplit_once('.').ok_or_else(bad)?;
                let neg = k.strip_prefix('-');
                let digits = neg.unwrap_or(k);
                if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                Ok(Cursor {
                    key: Some(KeyValue::Int(k.parse().map_err(|_| bad())?)),
                    id: id_of(id)?,
                })
            }
            KeyKind::Date => {
                let (k, id) = raw.rsplit_once('.').ok_or_else(bad)?;
                let date = chrono::NaiveDate::parse_from_str(k, "%Y-%m-%d").map_err(|_| bad())?;
                if date.format("%Y-%m-%d").to_string() != k {
                    return Err(bad());
                }
                Ok(Cursor {
                    key: Some(KeyValue::Text(k.to_owned())),
                    id: id_of(id)?,
                })
            }
        }
    }
}

/// The SQL of one page: a condition to AND into the list's WHERE, the ORDER BY … LIMIT, and
/// the values to bind after the list's own (placeholders numbered from `first`).
#[derive(Debug)]
pub(crate) struct Plan {
    /// Empty, or ` AND (…)`.
    pub cond: String,
    /// ` ORDER BY … LIMIT $n`.
    pub order: String,
    pub binds: Vec<KeyValue>,
    kind: KeyKind,
    backward: bool,
    had_cursor: bool,
    per_page: i64,
}

/// Plans a page of a list ordered by `(key_sql, id_sql)` (just `id_sql` for [`KeyKind::Id`]),
/// descending or ascending; the page's own placeholders start at `$first`.
pub(crate) fn plan(
    req: &SeekRequest,
    kind: KeyKind,
    key_sql: &str,
    id_sql: &str,
    descending: bool,
    first: usize,
) -> Result<Plan> {
    let (cursor, backward) = match (&req.after, &req.before) {
        (Some(_), Some(_)) => return Err(StoreError::CursorInvalid),
        (Some(a), None) => (Some(Cursor::parse(a, kind)?), false),
        (None, Some(b)) => (Some(Cursor::parse(b, kind)?), true),
        (None, None) => (None, false),
    };
    // reading backwards walks the list in the opposite order, then turns the page around
    let walk_desc = descending != backward;
    let (dir, cmp) = if walk_desc { ("DESC", "<") } else { ("ASC", ">") };
    let mut binds = Vec::new();
    let mut n = first;
    let mut next = || {
        let p = format!("${n}");
        n += 1;
        p
    };
    let cond = match &cursor {
        None => String::new(),
        Some(c) => match &c.key {
            None => {
                binds.push(KeyValue::Int(c.id));
                format!(" AND {id_sql} {cmp} {}", next())
            }
            Some(k) => {
                binds.push(k.clone());
                binds.push(KeyValue::Int(c.id));
                let (a, b) = (next(), next());
                format!(" AND ({key_sql}, {id_sql}) {cmp} ({a}, {b})")
            }
        },
    };
    let order = match kind {
        KeyKind::Id => format!(" ORDER BY {id_sql} {dir} LIMIT {}", next()),
        _ => format!(" ORDER BY {key_sql} {dir}, {id_sql} {dir} LIMIT {}", next()),
    };
    binds.push(KeyValue::Int(req.per_page + 1));
    Ok(Plan {
        cond,
        order,
        binds,
        kind,
        backward,
        had_cursor: cursor.is_some(),
        per_page: req.per_page,
    })
}

impl Plan {
    /// The page from the rows the planned query returned; `key` gives a row's sort key and id.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> (KeyValue, i64)) -> Seek<T> {
        let more = rows.len() as i64 > self.per_page;
        rows.truncate(self.per_page as usize);
        if self.backward {
            rows.reverse();
        }
        let cursor = |row: &T| {
            let (k, id) = key(row);
            Cursor {
                key: (self.kind != KeyKind::Id).then_some(k),
                id,
            }
            .encode()
        };
        let (next, prev) = if self.backward {
            (
                rows.last().map(&cursor),
                if more { rows.first().map(&cursor) } else { None },
            )
        } else {
            (
                if more { rows.last().map(&cursor) } else { None },
                if self.had_cursor {
                    rows.first().map(&cursor)
                } else {
                    None
                },
            )
        };
        Seek {
            items: rows,
            per_page: self.per_page,
            next,
            prev,
        }
    }

    /// Binds the page's values to a query built with [`Plan::cond`] and [`Plan::order`].
    pub fn bind<'q, O>(
        &self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for v in &self.binds {
            q = match v {
                KeyValue::Int(i) => q.bind(*i),
                KeyValue::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        for (raw, kind) in [
            ("42", KeyKind::Id),
            ("1764633600000.7", KeyKind::Int),
            ("-5.7", KeyKind::Int),
            ("2026-11-30.12", KeyKind::Date),
        ] {
            assert_eq!(Cursor::parse(raw, kind).unwrap().encode(), raw);
        }
        for (raw, kind) in [
            ("", KeyKind::Id),
            ("x", KeyKind::Id),
            ("-1", KeyKind::Id),
            ("99999999999999999999", KeyKind::Id),
            ("12", KeyKind::Int),
            ("1.2.3", KeyKind::Int),
            ("a.3", KeyKind::Int),
            ("2026-13-01.3", KeyKind::Date),
            ("2026-1-01.3", KeyKind::Date),
            ("2026-11-30", KeyKind::Date),
            ("2026-11-30.", KeyKind::Date),
        ] {
            assert!(Cursor::parse(raw, kind).is_err(), "{raw:?} as {kind:?}");
        }
    }

    #[test]
    fn plans_walk_forwards_and_backwards() {
        let p = plan(&SeekRequest::first(10), KeyKind::Id, "", "v.id", true, 3).unwrap();
        assert_eq!(
            (p.cond.as_str(), p.order.as_str()),
            ("", " ORDER BY v.id DESC LIMIT $3")
        );
        assert_eq!(p.binds, vec![KeyValue::Int(11)]);
        let p = plan(
            &SeekRequest::after("5.9", 10),
            KeyKind::Int,
            "o.t",
            "o.id",
            false,
            1,
        )
        .unwrap();
        assert_eq!(p.cond, " AND (o.t, o.id) > ($1, $2)");
        assert_eq!(p.order, " ORDER BY o.t ASC, o.id ASC LIMIT $3");
        let req = SeekRequest::new(None, Some("5.9".into()), Some(10));
        let p = plan(&req, KeyKind::Int, "o.t", "o.id", false, 1).unwrap();
        assert_eq!(p.cond, " AND (o.t, o.id) < ($1, $2)");
        assert_eq!(p.order, " ORDER BY o.t DESC, o.id DESC LIMIT $3");
        // a backward page comes back in list order, with both neighbours
        let s = p.finish(vec![4, 3, 2], |x| (KeyValue::Int(*x), *x));
        assert_eq!(s.items, vec![2, 3, 4]);
        assert_eq!((s.prev, s.next), (None, Some("4.4".to_owned())));
        let both = SeekRequest::new(Some("1".into()), Some("2".into()), None);
        assert!(plan(&both, KeyKind::Id, "", "id", true, 1).is_err());
    }
}
