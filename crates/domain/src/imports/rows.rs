//! Checking one row of a file against its kind: every problem of the row at once, each with
//! its column, so the office fixes a row in one go.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::cells::{self, clean, Raw};
use super::header::Header;
use super::{CellError, Field};
use crate::people::resident_id::ResidentId;
use crate::people::volunteer_no::VolunteerNo;
use crate::people::PersonName;
use crate::phone::Phone;

/// A refusal of one row: the column (0-based sheet index; `None` for the row as a whole) and
/// the reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub column: Option<usize>,
    pub code: &'static str,
    pub message: String,
}

/// A row's cells by field, with the errors found so far.
struct Reader<'a> {
    header: &'a Header,
    row: &'a [Raw],
    errors: Vec<RowError>,
}

impl<'a> Reader<'a> {
    fn new(header: &'a Header, row: &'a [Raw]) -> Self {
        Reader {
            header,
            row,
            errors: Vec::new(),
        }
    }

    fn column(&self, f: Field) -> Option<usize> {
        self.header.column_of(f).map(|c| c.index)
    }

    fn raw(&self, f: Field) -> Option<&'a Raw> {
        let i = self.column(f)?;
        Some(self.row.get(i).unwrap_or(&Raw::Empty))
    }

    /// The field's cell read with `read`; `None` (and an error if `required`) when it cannot be.
    fn read<T>(
        &mut self,
        f: Field,
        required: bool,
        read: impl FnOnce(&Raw) -> Result<T, CellError>,
    ) -> Option<T> {
        let raw = match self.raw(f) {
            Some(r) if !r.is_blank() => r,
            _ => {
                if required {
                    self.fail(f, CellError::new("required", format!("{}为空", f.label_zh())));
                }
                return None;
            }
        };
        match read(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(f, e);
                None
            }
        }
    }

    fn text(&self, f: Field) -> String {
        self.raw(f).map(Raw::text).unwrap_or_default()
    }

    fn fail(&mut self, f: Field, error: CellError) {
        self.errors.push(RowError {
            column: self.column(f),
            code: error.code,
            message: error.message,
        });
    }
}

/// A list cell (技能, 服务类别): items split at any of the separators people use.
pub fn list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in clean(text).split([',', '，', '、', ';', '；', '/', '|', ' ']) {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// A roster row, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct VolunteerRow {
    pub name: PersonName,
    pub resident_id: ResidentId,
    pub phone: Phone,
    /// Residence as written (a name or a code), resolved against the regions by the caller.
    pub region: String,
    pub skills: Vec<String>,
    /// Service category codes.
    pub categories: Vec<&'static str>,
}

/// Reads a roster row: name, resident ID and phone required; a gender or birth date column, if
/// there is one, must agree with the ID.
pub fn volunteer(header: &Header, row: &[Raw], today: NaiveDate) -> Result<VolunteerRow, Vec<RowError>> {
    let mut r = Reader::new(header, row);
    let name = r.read(Field::Name, true, cells::name);
    let id = r.read(Field::ResidentId, true, |c| cells::resident_id(c, today));
    let phone = r.read(Field::Phone, true, cells::phone);
    let gender = r.read(Field::Gender, false, cells::gender);
    let birth = r.read(Field::BirthDate, false, |c| cells::date(c, true));
    if let Some(id) = &id {
        if let Some(g) = gender.filter(|g| *g != id.gender()) {
            r.fail(
                Field::Gender,
                CellError::new(
                    "gender_mismatch",
                    format!(
                        "性别“{}”与身份证号不符（身份证号为{}性）",
                        g.label_zh(),
                        id.gender().label_zh()
                    ),
                ),
            );
        }
        if let Some(b) = birth.filter(|b| !cells::agrees_with_birth(id, *b)) {
            r.fail(
                Field::BirthDate,
                CellError::new(
                    "birth_date_mismatch",
                    format!(
                        "出生日期 {} 与身份证号不符（身份证号为 {}）",
                        if b.1 {
                            b.0.format("%Y-%m-%d").to_string()
                        } else {
                            b.0.format("%Y-%m").to_string()
                        },
                        id.birth_date().format("%Y-%m-%d")
                    ),
                ),
            );
        }
    }
    let region = r.text(Field::Region);
    let skills = r
        .read(Field::Skills, false, |c| {
            crate::tags::parse_skills(&list(&c.text()).join(",")).map_err(CellError::from)
        })
        .unwrap_or_default();
    let categories = r
        .read(Field::Categories, false, |c| {
            crate::tags::parse_categories(&list(&c.text())).map_err(CellError::from)
        })
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.code)
        .collect();
    match (name, id, phone, r.errors.is_empty()) {
        (Some(name), Some(resident_id), Some(phone), true) => Ok(VolunteerRow {
            name,
            resident_id,
            phone,
            region,
            skills,
            categories,
        }),
        _ => Err(r.errors),
    }
}

/// Who a service record is for: by resident ID or by volunteer number.
#[derive(Clone, Debug, PartialEq)]
pub enum Who {
    ResidentId(ResidentId),
    VolunteerNo(VolunteerNo),
}

/// An hours-sheet row, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordRow {
    pub who: Who,
    /// The name as written, to check against the volunteer found.
    pub name: Option<PersonName>,
    pub activity: String,
    pub date: NaiveDate,
    pub place: String,
    pub content: String,
    pub minutes: u32,
    /// The organizing team as written (resolved by the caller; blank: the importing team).
    pub team: String,
    pub person_in_charge: String,
    /// The row's own key when the file has one (记录编号).
    pub key: Option<String>,
    /// The service category (code), when the file names one.
    pub category: Option<&'static str>,
}

/// Reads an hours-sheet row: the volunteer (resident ID or volunteer number), activity, a day
/// not after `today` and the time served are required.
pub fn record(header: &Header, row: &[Raw], today: NaiveDate) -> Result<RecordRow, Vec<RowError>> {
    let mut r = Reader::new(header, row);
    let by_id = r.read(Field::ResidentId, false, |c| cells::resident_id(c, today));
    let by_no = r.read(Field::VolunteerNo, false, |c| {
        VolunteerNo::parse(&cells::compact(&c.shown())).map_err(CellError::from)
    });
    let who = match (by_id, by_no) {
        (Some(id), _) => Some(Who::ResidentId(id)),
        (None, Some(no)) => Some(Who::VolunteerNo(no)),
        (None, None) => {
            let blank = |f| r.raw(f).is_none_or(Raw::is_blank);
            if blank(Field::ResidentId) && blank(Field::VolunteerNo) {
                let f = if r.column(Field::ResidentId).is_some() {
                    Field::ResidentId
                } else {
                    Field::VolunteerNo
                };
                r.fail(
                    f,
                    CellError::new("required", "身份证号和志愿者编号都为空，至少填写一项"),
                );
            }
            None
        }
    };
    let name = r.read(Field::Name, false, cells::name);
    let activity = r.text(Field::Activity);
    if activity.is_empty() {
        r.fail(Field::Activity, CellError::new("required", "活动名称为空"));
    }
    let date = r
        .read(Field::ServiceDate, true, |c| cells::date(c, false))
        .map(|d| d.0);
    if let Some(d) = date.filter(|d| *d > today) {
        r.fail(
            Field::ServiceDate,
            CellError::new(
                "date_in_future",
                format!("服务日期 {} 晚于今天", d.format("%Y-%m-%d")),
            ),
        );
    }
    let in_minutes = header.column_of(Field::Hours).is_some_and(|c| c.in_minutes);
    let minutes = r.read(Field::Hours, true, |c| cells::minutes(c, in_minutes));
    let key = Some(r.text(Field::RowKey)).filter(|k| !k.is_empty());
    let category = r.read(Field::Categories, false, |c| {
        let t = c.text();
        crate::tags::category_by_code_or_label(&t)
            .map(|c| c.code)
            .ok_or_else(|| CellError::from(crate::DomainError::ServiceCategory(t)))
    });
    let (place, content, team, person_in_charge) = (
        r.text(Field::Place),
        r.text(Field::Content),
        r.text(Field::Team),
        r.text(Field::PersonInCharge),
    );
    match (who, date, minutes, r.errors.is_empty()) {
        (Some(who), Some(date), Some(minutes), true) => Ok(RecordRow {
            who,
            name,
            activity,
            date,
            place,
            content,
            minutes,
            team,
            person_in_charge,
            key,
            category,
        }),
        _ => Err(r.errors),
    }
}

/// The first row each key was seen on: a later row with the same key is refused as
/// "与第 N 行重复" (rows as Excel numbers them).
#[derive(Debug, Default)]
pub struct FirstSeen {
    rows: HashMap<String, usize>,
}

impl FirstSeen {
    /// Notes `key` at sheet row `row`; the error if an earlier row had it.
    pub fn check(&mut self, key: String, row: usize) -> Result<(), CellError> {
        match self.rows.get(&key) {
            Some(&first) => Err(CellError::new(
                "duplicate_in_file",
                format!("与第 {first} 行重复"),
            )),
            None => {
                self.rows.insert(key, row);
                Ok(())
            }
        }
    }
}

/// The key that makes a service record the same one when imported again: the volunteer, day,
/// activity, team and minutes (or the file's own row key).
pub fn record_key(row: &RecordRow) -> String {
    if let Some(k) = &row.key {
        return format!("key:{k}");
    }
    let who = match &row.who {
        Who::ResidentId(id) => format!("id:{}", id.as_str()),
        Who::VolunteerNo(no) => format!("no:{}", no.as_str()),
    };
    format!("{who}|{}|{}|{}|{}", row.date, row.activity, row.team, row.minutes)
}

#[cfg(test)]
mod tests;
