//! Real-name volunteers: registration (by themselves or by a team admin), reading within
//! scope, and joining teams (request → approve / decline).

context_handle!(
    /// The people context's use cases (`app.people()`).
    People
);

mod closure;

pub use closure::CloseInput;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::{MembershipStatus, Role};
use zhiyuan_domain::network::RegionCode;
use zhiyuan_domain::people::availability::WeeklyAvailability;
use zhiyuan_domain::people::resident_id::ResidentId;
use zhiyuan_domain::people::volunteer_no::VolunteerNo;
use zhiyuan_domain::people::{Gender, PersonName};
use zhiyuan_domain::phone::Phone;
use zhiyuan_domain::tags::{category_by_code, parse_categories, parse_skills};
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::people::memberships::{self, MembershipRow};
use zhiyuan_store::people::volunteers::{self, NewVolunteer, VolunteerRow, VolunteerSearch};
use zhiyuan_store::seek::{Seek, SeekRequest};
use zhiyuan_store::{auth::accounts, network::orgs, network::regions};

use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult, FieldError};
use crate::work::AfterCommit;

pub mod export;
use crate::{on_unique, show_time, today};

/// What a volunteer's record says; the resident ID is masked unless the reader is the holder.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VolunteerView {
    pub id: i64,
    pub volunteer_no: String,
    pub name: String,
    pub gender: String,
    pub gender_label: String,
    /// The birth year, shown to everyone who may see the record.
    pub birth_year: i32,
    /// The full birth date (`YYYY-MM-DD`), only for the volunteer themself: beside the masked
    /// number it would give the whole number back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// For the volunteer themself the age in completed years; for anyone else the age reached in
    /// the current calendar year (this year − birth year), which does not tell whether the
    /// birthday has passed.
    pub age: u32,
    pub id_type: String,
    /// Masked (`110***********123X`) except for the volunteer themself.
    pub resident_id: String,
    pub resident_id_masked: bool,
    /// The full number for the volunteer themself and their team's admins; masked
    /// (`139****5678`) for everyone else and in every list.
    pub phone: String,
    pub phone_masked: bool,
    pub region_code: String,
    pub region_name: String,
    pub skills: Vec<String>,
    pub categories: Vec<CategoryView>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Weekly availability in words, e.g. `周一至周五 18-21；周六至周日 9-17`.
    pub availability: String,
    pub has_account: bool,
    pub registered_at: String,
    /// The volunteer agreed to show their full name on the honor roll.
    pub public_name: bool,
    /// When the volunteer left the platform (注销): their personal details are no longer kept or
    /// shown; their service records stay.
    pub closed_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MembershipView {
    pub id: i64,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_no: String,
    pub organization_id: i64,
    pub organization_name: String,
    #[schema(value_type = String)]
    pub status: MembershipStatus,
    pub status_label: String,
    pub note: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
}

impl From<MembershipRow> for MembershipView {
    fn from(m: MembershipRow) -> Self {
        let status_label = m.status.label_zh();
        MembershipView {
            id: m.id,
            volunteer_id: m.volunteer_id,
            volunteer_name: m.volunteer_name,
            volunteer_no: m.volunteer_no.unwrap_or_default(),
            organization_id: m.organization_id,
            organization_name: m.organization_name,
            status: m.status,
            status_label: status_label.to_owned(),
            note: m.note,
            requested_at: show_time(m.requested_at),
            decided_at: m.decided_at.map(show_time),
        }
    }
}

/// The fields of a registration (志愿服务记录与证明出具办法 Art 5). Gender and birth date are
/// not asked: they come from the resident ID.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct VolunteerInput {
    pub name: String,
    pub resident_id: String,
    pub phone: String,
    /// 12-digit region code of residence.
    pub region_code: String,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Service category codes or Chinese labels.
    #[serde(default)]
    pub categories: Vec<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// Weekly availability in words, e.g. `工作日 18-21；周末 9-17`.
    #[serde(default)]
    pub availability: String,
    /// The team to join at once (registration by a team admin).
    pub team_id: Option<i64>,
}

/// What a volunteer (or their team's admin) keeps up to date: contact, residence, skills,
/// categories, place and availability. Name and resident ID are fixed at registration.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ContactInput {
    /// Blank keeps the number on record.
    #[serde(default)]
    pub phone: String,
    /// 12-digit region code of residence.
    pub region_code: String,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[serde(default)]
    pub availability: String,
    /// The volunteer's consent to their full name on the public honor roll (only the volunteer
    /// may give or withdraw it; `None` leaves it as it is).
    pub public_name: Option<bool>,
}

/// Self-registration: the record plus a password; the login name is the phone number.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SelfRegistration {
    #[serde(flatten)]
    pub volunteer: VolunteerInput,
    #[schema(min_length = 8, max_length = 64)]
    pub password: String,
}

/// A validated registration, ready to store.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    name: PersonName,
    id: ResidentId,
    phone: Phone,
    region: RegionCode,
    skills: Vec<String>,
    categories: Vec<&'static str>,
    location: Option<(f64, f64)>,
    availability: WeeklyAvailability,
}

/// Checks every field and reports all problems at once.
fn check(input: &VolunteerInput) -> Result<Checked, Vec<FieldError>> {
    let mut errs: Vec<FieldError> = Vec::new();
    macro_rules! take {
        ($e:expr) => {
            match $e {
                Ok(v) => Some(v),
                Err(e) => {
                    errs.push(FieldError::from(e));
                    None
                }
            }
        };
    }
    let name = take!(PersonName::parse(&input.name));
    let id = take!(ResidentId::parse(&input.resident_id, today()));
    let phone = take!(Phone::parse(&input.phone));
    let region = take!(RegionCode::parse(&input.region_code));
    let skills = take!(parse_skills(&input.skills.join(",")));
    let categories = take!(parse_categories(&input.categories));
    let availability = take!(WeeklyAvailability::parse_spec(&input.availability));
    let location = match (input.lat, input.lon) {
        (None, None) => Some(None),
        (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
            Some(Some((lat, lon)))
        }
        _ => {
            errs.push(FieldError::new(
                "location",
                "location_invalid",
                "位置需同时填写有效的纬度和经度",
            ));
            None
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Checked {
        name: name.expect("checked"),
        id: id.expect("checked"),
        phone: phone.expect("checked"),
        region: region.expect("checked"),
        skills: skills.expect("checked"),
        categories: categories.expect("checked").into_iter().map(|c| c.code).collect(),
        location: location.expect("checked"),
        availability: availability.expect("checked"),
    })
}

impl Checked {
    /// A roster row read by an import, as a registration (its residence resolved).
    pub(crate) fn imported(v: &zhiyuan_domain::imports::rows::VolunteerRow, region: RegionCode) -> Checked {
        Checked {
            name: v.name.clone(),
            id: v.resident_id.clone(),
            phone: v.phone.clone(),
            region,
            skills: v.skills.clone(),
            categories: v.categories.clone(),
            location: None,
            availability: WeeklyAvailability::none(),
        }
    }
}

/// A demo person as a checked registration (the generator only makes valid people).
pub(crate) fn demo_checked(p: &zhiyuan_domain::synth::SynthPerson, home: &str, at: (f64, f64)) -> Checked {
    Checked {
        name: p.name.clone(),
        id: p.resident_id.clone(),
        phone: p.phone.clone(),
        region: RegionCode::parse(home).expect("demo region"),
        skills: p.skills.clone(),
        categories: p.categories.clone(),
        location: Some(at),
        availability: p.availability,
    }
}

/// A closed volunteer (注销) takes no more changes.
pub(crate) fn closed(row: &VolunteerRow) -> AppError {
    AppError::Conflict {
        code: "volunteer_closed",
        field: None,
        message: format!("{}已注销", row.name),
    }
}

const DUPLICATE_ID: &str = "该身份证号码已注册为志愿者，不能重复注册";

impl People<'_> {
    /// A volunteer's record as a reader sees it: `reveal` (the volunteer themself) shows the
    /// full resident ID and birth date; `full_phone` (themself, or their team's admin) the full
    /// phone number, which everyone else sees masked (`139****5678`).
    fn volunteer_view(&self, row: VolunteerRow, reveal: bool, full_phone: bool) -> AppResult<VolunteerView> {
        let reveal = reveal && row.closed_at.is_none();
        let (resident_id, birth_date) = if row.closed_at.is_some() {
            (String::new(), None)
        } else if reveal {
            let clear = self.vault().decrypt(&row.id_cipher)?;
            let birth = ResidentId::parse(&clear, today()).ok().map(|id| id.birth_date());
            (clear, birth)
        } else {
            (row.id_masked.clone(), None)
        };
        let birth_year = row.birth_year as i32;
        let age = match birth_date {
            Some(b) => today().years_since(b).unwrap_or(0),
            None => u32::try_from(today().year() - birth_year).unwrap_or(0),
        };
        let gender_label = Gender::parse(&row.gender).map(|g| g.label_zh()).unwrap_or("");
        Ok(VolunteerView {
            id: row.id,
            volunteer_no: row.volunteer_no.unwrap_or_default(),
            name: row.name,
            gender_label: gender_label.to_owned(),
            gender: row.gender,
            birth_year,
            birth_date: birth_date.map(|b| b.format("%Y-%m-%d").to_string()),
            age,
            id_type: row.id_type,
            resident_id,
            resident_id_masked: !reveal,
            phone_masked: !full_phone,
            phone: if full_phone {
                row.phone
            } else {
                Phone::parse(&row.phone).map(|p| p.masked()).unwrap_or_default()
            },
            region_code: row.region_code,
            region_name: row.region_name,
            skills: row
                .skills
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            categories: row
                .categories
                .split(',')
                .filter_map(category_by_code)
                .map(|c| CategoryView {
                    code: c.code.to_owned(),
                    label: c.label.to_owned(),
                })
                .collect(),
            lat: row.lat,
            lon: row.lon,
            availability: WeeklyAvailability::from_hex(&row.availability)
                .map(|a| a.to_spec())
                .unwrap_or_default(),
            has_account: row.account_id.is_some(),
            public_name: row.public_name,
            registered_at: show_time(row.created_at),
            closed_at: row.closed_at.map(show_time),
        })
    }

    /// Stores a checked registration inside `tx`: the volunteer, its number, an optional
    /// approved membership, and the audit entry. Returns the new id.
    pub(crate) async fn insert_volunteer(
        &self,
        tx: &mut crate::work::Work,
        c: &Checked,
        actor: (Option<i64>, &str),
        account_id: Option<i64>,
        team: Option<&zhiyuan_store::network::orgs::OrgRow>,
    ) -> AppResult<i64> {
        if regions::get(tx, c.region.as_str()).await?.is_none() {
            return Err(AppError::invalid(
                "region_code",
                "region_unknown",
                "居住地行政区划代码不存在",
            ));
        }
        let id_hash = self.vault().lookup_hash(c.id.as_str());
        if volunteers::by_id_hash(tx, &id_hash).await?.is_some() {
            return Err(AppError::Conflict {
                code: "resident_id_duplicate",
                field: Some("resident_id"),
                message: DUPLICATE_ID.into(),
            });
        }
        let new = NewVolunteer {
            name: c.name.as_str().to_owned(),
            gender: c.id.gender().as_str().to_owned(),
            birth_year: i64::from(c.id.birth_year()),
            id_cipher: self.vault().encrypt(c.id.as_str()),
            id_hash,
            id_masked: c.id.masked(),
            phone: c.phone.as_str().to_owned(),
            region_code: c.region.as_str().to_owned(),
            skills: c.skills.join(","),
            categories: c.categories.join(","),
            lat: c.location.map(|l| l.0),
            lon: c.location.map(|l| l.1),
            availability: c.availability.to_hex(),
            account_id,
            created_by: actor.0,
        };
        let id = volunteers::insert(tx, &new)
            .await
            .map_err(|e| on_unique(e, "resident_id_duplicate", Some("resident_id"), DUPLICATE_ID))?;
        let no = VolunteerNo::new(c.region.county6(), id as u64);
        volunteers::set_number(tx, id, no.as_str()).await?;
        // every way in (office, self-registration, demo) counts in the statistics
        tx.after_commit(AfterCommit::RefreshResident(id));
        if let Some(team) = team {
            memberships::insert(
                tx,
                id,
                team.id,
                MembershipStatus::Approved,
                "由队伍管理员登记",
                actor.0,
            )
            .await?;
        }
        tx.audit(NewAudit {
            actor_id: actor.0,
            actor_name: actor.1.to_owned(),
            action: AuditAction::VolunteerRegister,
            entity_id: id.to_string(),
            region_code: Some(new.region_code.clone()),
            org_path: team.map(|t| t.path.clone()),
            before: None,
            // never the clear resident ID nor the birth date: with the mask they would give it back
            after: Some(serde_json::json!({
                "volunteer_no": no.as_str(), "name": new.name, "gender": new.gender,
                "birth_year": new.birth_year, "resident_id": new.id_masked, "phone": c.phone.masked(),
                "region_code": new.region_code, "skills": new.skills, "categories": new.categories,
                "team_id": team.map(|t| t.id),
            })),
        })
        .await?;
        Ok(id)
    }

    /// Demo data: a checked person stored as if registered by the system.
    pub(crate) async fn insert_volunteer_demo(
        &self,
        tx: &mut crate::work::Work,
        c: &Checked,
        team: Option<&zhiyuan_store::network::orgs::OrgRow>,
    ) -> AppResult<i64> {
        self.insert_volunteer(tx, c, (None, "演示数据"), None, team).await
    }

    /// Registration by an administrator. A team admin must name a team in their subtree and
    /// the volunteer joins it at once; region and site admins register residents of their
    /// region or members of a team in it.
    pub async fn register_volunteer(
        &self,
        caller: &Caller,
        input: &VolunteerInput,
    ) -> AppResult<VolunteerView> {
        caller.require_admin()?;
        let c = check(input).map_err(AppError::Invalid)?;
        let team = match input.team_id {
            Some(tid) => Some(
                self.network()
                    .org_row(tid)
                    .await
                    .map_err(|_| AppError::invalid("team_id", "team_invalid", "所选队伍不存在"))?,
            ),
            None => None,
        };
        if let Some(t) = team.as_ref().filter(|t| t.dissolved_at.is_some()) {
            return Err(AppError::invalid(
                "team_id",
                "org_dissolved",
                format!("{}已解散", t.name),
            ));
        }
        match (&caller.scope, &team) {
            (_, Some(t)) => caller.require_org(t)?,
            (Scope::Team { .. }, None) => {
                return Err(AppError::invalid(
                    "team_id",
                    "team_invalid",
                    "队伍管理员登记志愿者时须选择本队伍",
                ))
            }
            (_, None) => {
                if !caller.covers_region(c.region.as_str()) {
                    return Err(AppError::Forbidden);
                }
            }
        }
        let mut tx = self.begin().await?;
        let id = self
            .insert_volunteer(
                &mut tx,
                &c,
                (Some(caller.account_id), &caller.display_name),
                None,
                team.as_ref(),
            )
            .await?;
        tx.after_commit(AfterCommit::RefreshVolunteer(id));
        tx.commit(self).await?;
        self.volunteer(caller, id).await
    }

    /// Self-registration from the public form: creates the volunteer and a login whose name is
    /// the phone number. Returns the new account's session token and the record.
    /// [`register_self`](Self::register_self) from a client address. A refusal because the
    /// resident ID or the phone is already registered says who is registered, so those refusals
    /// are counted per address and the address is locked for a while after
    /// [`REGISTRATION_LIMIT`](crate::auth::throttle::REGISTRATION_LIMIT) of them (see
    /// docs/architecture.md, "Self-registration as an oracle").
    pub async fn register_self_from(
        &self,
        input: &SelfRegistration,
        from: Option<std::net::IpAddr>,
    ) -> AppResult<(String, VolunteerView)> {
        let attempt = crate::auth::throttle::Attempt::registration(from);
        self.auth().admit_code_attempt(&attempt).await?;
        let result = self.register_self(input).await;
        if let Err(AppError::Conflict {
            code: "resident_id_duplicate" | "phone_taken",
            ..
        }) = &result
        {
            self.auth().code_attempt_failed(&attempt);
        }
        result
    }

    pub async fn register_self(&self, input: &SelfRegistration) -> AppResult<(String, VolunteerView)> {
        let mut errs = match check(&input.volunteer) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        if let Err(AppError::Invalid(mut e)) = crate::auth::check_password(&input.password) {
            errs.append(&mut e);
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let c = check(&input.volunteer).map_err(AppError::Invalid)?;
        let password = input.password.clone();
        let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let username = c.phone.as_str().to_owned();
        let mut tx = self.begin().await?;
        if accounts::by_username(&mut tx, &username).await?.is_some() {
            return Err(AppError::Conflict {
                code: "phone_taken",
                field: Some("phone"),
                message: "该手机号已注册账号，请直接登录".into(),
            });
        }
        let account_id = accounts::insert(
            &mut tx,
            &accounts::NewAccount {
                username: username.clone(),
                password_hash: hash,
                display_name: c.name.as_str().to_owned(),
                role: Role::Volunteer.as_str().to_owned(),
                scope_region: None,
                scope_site_id: None,
                scope_org_id: None,
                volunteer_id: None,
            },
        )
        .await
        .map_err(|e| on_unique(e, "phone_taken", Some("phone"), "该手机号已注册账号，请直接登录"))?;
        let id = self
            .insert_volunteer(
                &mut tx,
                &c,
                (Some(account_id), c.name.as_str()),
                Some(account_id),
                None,
            )
            .await?;
        accounts::set_volunteer(&mut tx, account_id, id).await?;
        tx.after_commit(AfterCommit::ForgetCallers);
        tx.after_commit(AfterCommit::RefreshVolunteer(id));
        tx.commit(self).await?;
        let (token, caller) = self.auth().login(&username, &input.password).await?;
        let view = self.volunteer(&caller, id).await?;
        Ok((token, view))
    }

    /// One volunteer, if the caller may see them; the holder sees the full resident ID.
    pub async fn volunteer(&self, caller: &Caller, id: i64) -> AppResult<VolunteerView> {
        let mut conn = self.conn().await?;
        let row = volunteers::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("志愿者"))?;
        if !volunteers::visible(&mut conn, id, &caller.volunteer_visibility()).await? {
            return Err(AppError::Forbidden);
        }
        let reveal = caller.volunteer_id == Some(id);
        // visible to a team admin means a member of their team
        let full_phone = reveal || matches!(caller.scope, Scope::Team { .. });
        self.volunteer_view(row, reveal, full_phone)
    }

    /// Whether the caller may change volunteer `id`'s details: the volunteer, or an
    /// administrator who sees them (their team's, their site's or their region's).
    pub async fn may_edit(&self, caller: &Caller, id: i64) -> AppResult<bool> {
        if caller.volunteer_id == Some(id) {
            return Ok(true);
        }
        if !caller.is_admin() {
            return Ok(false);
        }
        let mut conn = self.conn().await?;
        Ok(volunteers::visible(&mut conn, id, &caller.volunteer_visibility()).await?)
    }

    /// Changes a volunteer's contact details, residence, skills, categories, place and
    /// availability (the matching index follows after commit). A self-registered volunteer logs
    /// in with their phone number: a new number becomes their login name.
    pub async fn update_contact(
        &self,
        caller: &Caller,
        id: i64,
        input: &ContactInput,
    ) -> AppResult<VolunteerView> {
        let row = {
            let mut conn = self.conn().await?;
            volunteers::get(&mut conn, id)
                .await?
                .ok_or(AppError::NotFound("志愿者"))?
        };
        if !self.may_edit(caller, id).await? {
            return Err(AppError::Forbidden);
        }
        if row.closed_at.is_some() {
            return Err(closed(&row));
        }
        let mut errs: Vec<FieldError> = Vec::new();
        macro_rules! take {
            ($e:expr) => {
                match $e {
                    Ok(v) => Some(v),
                    Err(e) => {
                        errs.push(FieldError::from(e));
                        None
                    }
                }
            };
        }
        // left blank: the number stays (an office that sees it masked changes the rest)
        let phone_text = if input.phone.trim().is_empty() {
            row.phone.as_str()
        } else {
            input.phone.as_str()
        };
        let phone = take!(Phone::parse(phone_text));
        // left blank: the residence stays
        let region_text = if input.region_code.trim().is_empty() {
            row.region_code.as_str()
        } else {
            input.region_code.trim()
        };
        let region = take!(RegionCode::parse(region_text));
        let skills = take!(parse_skills(&input.skills.join(",")));
        let categories = take!(parse_categories(&input.categories));
        let availability = take!(WeeklyAvailability::parse_spec(&input.availability));
        let location = match (input.lat, input.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                Some((lat, lon))
            }
            _ => {
                errs.push(FieldError::new(
                    "location",
                    "location_invalid",
                    "位置需同时填写有效的纬度和经度",
                ));
                None
            }
        };
        let mut tx = self.begin().await?;
        if let Some(r) = &region {
            if regions::get(&mut tx, r.as_str()).await?.is_none() {
                errs.push(FieldError::new(
                    "region_code",
                    "region_unknown",
                    "居住地行政区划代码不存在",
                ));
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let (phone, region) = (phone.expect("checked"), region.expect("checked"));
        // an administrator may not move a volunteer out of their own reach by residence alone
        if caller.volunteer_id != Some(id)
            && !matches!(caller.scope, Scope::Team { .. })
            && !caller.covers_region(region.as_str())
        {
            return Err(AppError::invalid(
                "region_code",
                "region_forbidden",
                "居住地不在您的管理范围内",
            ));
        }
        let update = volunteers::ContactUpdate {
            phone: phone.as_str().to_owned(),
            region_code: region.as_str().to_owned(),
            skills: skills.expect("checked").join(","),
            categories: categories
                .expect("checked")
                .into_iter()
                .map(|c| c.code)
                .collect::<Vec<_>>()
                .join(","),
            lat: location.map(|l| l.0),
            lon: location.map(|l| l.1),
            availability: availability.expect("checked").to_hex(),
            public_name: input.public_name.filter(|_| caller.volunteer_id == Some(id)),
        };
        volunteers::update_contact(&mut tx, id, &update).await?;
        if let Some(account_id) = row.account_id {
            if let Some(a) = accounts::get(&mut tx, account_id).await? {
                if a.username == row.phone && update.phone != row.phone {
                    accounts::set_username(&mut tx, account_id, &update.phone)
                        .await
                        .map_err(|e| {
                            on_unique(e, "phone_taken", Some("phone"), "该手机号码已是其他账号的登录名")
                        })?;
                    tx.after_commit(AfterCommit::ForgetCallers);
                }
            }
        }
        let masked = |p: &str| Phone::parse(p).map(|p| p.masked()).unwrap_or_default();
        let public = update.public_name.unwrap_or(row.public_name);
        let snapshot = |phone: &str,
                        region: &str,
                        skills: &str,
                        categories: &str,
                        availability: &str,
                        public: bool| {
            serde_json::json!({"name": row.name, "phone": masked(phone), "region_code": region,
                "skills": skills, "categories": categories, "availability": availability, "public_name": public})
        };
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::VolunteerUpdate,
            entity_id: id.to_string(),
            region_code: Some(update.region_code.clone()),
            // a team admin's change is seen by that team's admins
            org_path: match &caller.scope {
                Scope::Team { path, .. } => Some(path.clone()),
                _ => None,
            },
            before: Some(snapshot(
                &row.phone,
                &row.region_code,
                &row.skills,
                &row.categories,
                &row.availability,
                row.public_name,
            )),
            after: Some(snapshot(
                &update.phone,
                &update.region_code,
                &update.skills,
                &update.categories,
                &update.availability,
                public,
            )),
        })
        .await?;
        tx.after_commit(AfterCommit::RefreshVolunteer(id));
        tx.commit(self).await?;
        self.volunteer(caller, id).await
    }

    /// Volunteers the caller may see, searched by name, volunteer number, phone or the full
    /// resident ID (matched through its keyed hash); a keyset page, newest first.
    pub async fn search_volunteers(
        &self,
        caller: &Caller,
        q: Option<&str>,
        org_id: Option<i64>,
        page: &SeekRequest,
    ) -> AppResult<Seek<VolunteerView>> {
        let search = self.volunteer_search(q, org_id);
        let mut conn = self.conn().await?;
        let mut p = volunteers::search(&mut conn, &caller.volunteer_visibility(), &search, page).await?;
        let items = std::mem::take(&mut p.items)
            .into_iter()
            .map(|r| {
                // lists show phones masked; the record shows it to those who may call
                let reveal = caller.volunteer_id == Some(r.id);
                self.volunteer_view(r, reveal, reveal)
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(p.with_items(items))
    }

    /// How many volunteers the caller may see (for the overview).
    pub async fn count_volunteers(&self, caller: &Caller) -> AppResult<i64> {
        let search = self.volunteer_search(None, None);
        let mut conn = self.conn().await?;
        Ok(volunteers::count_found(&mut conn, &caller.volunteer_visibility(), &search).await?)
    }

    fn volunteer_search(&self, q: Option<&str>, org_id: Option<i64>) -> VolunteerSearch {
        let q = q.map(str::trim).filter(|s| !s.is_empty());
        let id_hash = q
            .and_then(|q| ResidentId::parse(q, today()).ok())
            .map(|id| self.vault().lookup_hash(id.as_str()));
        VolunteerSearch {
            q: q.map(str::to_owned),
            id_hash,
            region_prefix: None,
            org_id,
        }
    }

    /// The caller's own volunteer record, if they have one.
    pub async fn my_volunteer(&self, caller: &Caller) -> AppResult<Option<VolunteerView>> {
        match caller.volunteer_id {
            Some(id) => Ok(Some(self.volunteer(caller, id).await?)),
            None => Ok(None),
        }
    }

    /// Memberships of one volunteer (the holder or an admin who can see them).
    pub async fn memberships_of(&self, caller: &Caller, volunteer_id: i64) -> AppResult<Vec<MembershipView>> {
        self.volunteer(caller, volunteer_id).await?;
        let mut conn = self.conn().await?;
        Ok(memberships::of_volunteer(&mut conn, volunteer_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A volunteer asks to join a team.
    pub async fn request_join(&self, caller: &Caller, org_id: i64, note: &str) -> AppResult<MembershipView> {
        let Some(vid) = caller.volunteer_id else {
            return Err(AppError::Conflict {
                code: "not_a_volunteer",
                field: None,
                message: "只有注册志愿者可以申请加入队伍".into(),
            });
        };
        let note = crate::text::note("note", "申请说明", note, 200)?;
        let mut tx = self.begin().await?;
        let org = orgs::get(&mut tx, org_id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        crate::network::standing(&org)?;
        if let Some(m) = memberships::active(&mut tx, vid, org_id).await? {
            let msg = if m.status == MembershipStatus::Approved {
                "您已是该队伍成员"
            } else {
                "您已提交过申请，请等待队伍审核"
            };
            return Err(AppError::Conflict {
                code: "membership_exists",
                field: None,
                message: msg.into(),
            });
        }
        let id = memberships::insert(&mut tx, vid, org_id, MembershipStatus::Pending, &note, None)
            .await
            .map_err(|e| on_unique(e, "membership_exists", None, "您已提交过申请，请等待队伍审核"))?;
        let row = memberships::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("申请"))?;
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::MembershipRequest,
            entity_id: id.to_string(),
            region_code: Some(org.region_code.clone()),
            org_path: Some(org.path.clone()),
            before: None,
            after: Some(
                serde_json::json!({"volunteer_id": vid, "organization_id": org_id, "status": "pending"}),
            ),
        })
        .await?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// A team (or a region / site admin above it) approves or declines a pending request.
    pub async fn decide_join(
        &self,
        caller: &Caller,
        membership_id: i64,
        approve: bool,
    ) -> AppResult<MembershipView> {
        caller.require_admin()?;
        let mut tx = self.begin().await?;
        let m = memberships::get(&mut tx, membership_id)
            .await?
            .ok_or(AppError::NotFound("申请"))?;
        let org = orgs::get(&mut tx, m.organization_id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        caller.require_org(&org)?;
        let to = if approve {
            MembershipStatus::Approved
        } else {
            MembershipStatus::Declined
        };
        if m.status != MembershipStatus::Pending
            || !memberships::decide(
                &mut tx,
                membership_id,
                MembershipStatus::Pending,
                to,
                caller.account_id,
            )
            .await?
        {
            return Err(AppError::Conflict {
                code: "membership_decided",
                field: None,
                message: "该申请已处理，不能重复审核".into(),
            });
        }
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: if approve {
                AuditAction::MembershipApprove
            } else {
                AuditAction::MembershipDecline
            },
            entity_id: membership_id.to_string(),
            region_code: Some(org.region_code.clone()),
            org_path: Some(org.path.clone()),
            before: Some(serde_json::json!({"status": m.status})),
            after: Some(serde_json::json!({"status": to})),
        })
        .await?;
        let row = memberships::get(&mut tx, membership_id)
            .await?
            .ok_or(AppError::NotFound("申请"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// Members and requests of a team (and its sub-teams) for its administrators.
    pub async fn org_memberships(
        &self,
        caller: &Caller,
        org_id: i64,
        status: Option<MembershipStatus>,
    ) -> AppResult<Vec<MembershipView>> {
        let org = self.network().org_row(org_id).await?;
        caller.require_org(&org)?;
        let mut conn = self.conn().await?;
        Ok(
            memberships::of_orgs(&mut conn, &org.path, Some(org_id), status, 500)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Pending join requests the caller can decide.
    pub async fn pending_requests(&self, caller: &Caller) -> AppResult<Vec<MembershipView>> {
        caller.require_admin()?;
        let mut conn = self.conn().await?;
        let rows = match &caller.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => {
                memberships::pending_in_region(&mut conn, prefix, 200).await?
            }
            Scope::Team { path, .. } => {
                memberships::of_orgs(&mut conn, path, None, Some(MembershipStatus::Pending), 200).await?
            }
            Scope::Own => Vec::new(),
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> VolunteerInput {
        VolunteerInput {
            name: "张三".into(),
            resident_id: "11010519491231002x".into(),
            phone: "13812345678".into(),
            region_code: "110105001000".into(),
            skills: vec!["急救".into()],
            categories: vec!["敬老助残".into(), "education".into()],
            availability: "工作日 18-21".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_registration_checks() {
        let c = check(&good()).unwrap();
        assert_eq!(c.id.as_str(), "11010519491231002X");
        assert_eq!(c.categories, vec!["elderly_disabled", "education"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = VolunteerInput {
            name: "1".into(),
            resident_id: "110105194912310021".into(),
            phone: "12345".into(),
            region_code: "abc".into(),
            lat: Some(91.0),
            ..good()
        };
        let errs = check(&bad).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        for f in ["name", "resident_id", "phone", "region_code", "location"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(errs.iter().all(|e| !e.message.is_empty()));
    }
}
