//! Event tallies (活动统计): an office defines an event with its period, posts and metrics; post
//! leaders enter each day's tally per post from a phone (one form, every metric); correcting a
//! day writes a new version that replaces it, with the trail kept; totals are the sums of the
//! current daily entries.

pub mod export;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::events::{self as rules, EventError};
use zhiyuan_domain::network::RegionCode;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::auth::accounts;
use zhiyuan_store::events::{self as store, EventRow, MetricRow, PostRow, TallyRow};
use zhiyuan_store::network::regions;

use crate::error::{AppError, AppResult, FieldError};
use crate::{show_time, Caller};

context_handle!(
    /// Event tallies.
    Events
);

fn field(e: EventError) -> FieldError {
    FieldError::new(e.field(), e.code(), e.to_string())
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct MetricInput {
    /// e.g. 照顾老幼病残孕乘客
    pub name: String,
    /// e.g. 人次
    pub unit: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct PostInput {
    /// e.g. 北京站
    pub name: String,
    /// 12-digit region code the post lies in; the event's region when empty.
    #[serde(default)]
    pub region_code: String,
    /// Username of the post leader (点位负责人) who enters its tallies; optional.
    #[serde(default)]
    pub leader: String,
}

/// A new event.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct EventInput {
    pub name: String,
    /// YYYY-MM-DD
    pub starts_on: String,
    /// YYYY-MM-DD
    pub ends_on: String,
    /// The organizing office's region; the caller's own when empty.
    #[serde(default)]
    pub region_code: String,
    pub posts: Vec<PostInput>,
    pub metrics: Vec<MetricInput>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TallyValue {
    pub metric_id: i64,
    #[schema(minimum = 0, maximum = 1000000)]
    pub value: i64,
}

/// A day's tally at a post; entering it again for the same day replaces the earlier entry.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TallyInput {
    pub post_id: i64,
    /// YYYY-MM-DD, within the event.
    pub day: String,
    /// Every metric's count; a metric left out counts 0.
    pub values: Vec<TallyValue>,
    /// Guides on duty that day.
    #[schema(minimum = 0, maximum = 10000)]
    pub guides: i64,
    /// Their service minutes in all.
    #[schema(minimum = 0)]
    pub guide_minutes: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventSummary {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MetricTotal {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub total: i64,
}

/// One row of a table: per metric (in the event's order), guides on duty and their hours.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct TallyTotals {
    pub values: Vec<i64>,
    /// Guide-days: the sum of guides on duty over the days.
    pub guides: i64,
    pub guide_minutes: i64,
    pub guide_hours: String,
    /// Daily entries that make up the row.
    pub entries: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PostTotals {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub leader_name: Option<String>,
    /// The caller may enter this post's tallies.
    pub can_enter: bool,
    pub totals: TallyTotals,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DayTotals {
    pub day: String,
    pub totals: TallyTotals,
}

/// An event with its totals, by post and by day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub metrics: Vec<MetricTotal>,
    pub totals: TallyTotals,
    pub posts: Vec<PostTotals>,
    pub days: Vec<DayTotals>,
    /// The caller manages the event (an office over its region).
    pub can_manage: bool,
    pub as_of: String,
}

/// A day's entry at a post as stored (one version).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TallyView {
    pub id: i64,
    pub post_id: i64,
    pub day: String,
    pub version: i64,
    pub supersedes: Option<i64>,
    /// (metric id, value) in the event's metric order.
    pub values: Vec<i64>,
    pub metric_ids: Vec<i64>,
    pub guides: i64,
    pub guide_minutes: i64,
    pub note: String,
    pub entered_by: Option<String>,
    pub entered_at: String,
}

fn hours(minutes: i64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

impl TallyTotals {
    fn add(&mut self, t: &TallyRow, values: &[i64]) {
        if self.values.len() < values.len() {
            self.values.resize(values.len(), 0);
        }
        for (a, b) in self.values.iter_mut().zip(values) {
            *a += b;
        }
        self.guides += t.guides;
        self.guide_minutes += t.guide_minutes;
        self.guide_hours = hours(self.guide_minutes);
        self.entries += 1;
    }

    fn zero(n: usize) -> TallyTotals {
        TallyTotals {
            values: vec![0; n],
            guide_hours: hours(0),
            ..Default::default()
        }
    }
}

struct Loaded {
    event: EventRow,
    metrics: Vec<MetricRow>,
    posts: Vec<PostRow>,
}

impl Events<'_> {
    fn manages(caller: &Caller, e: &EventRow) -> bool {
        caller.is_admin() && caller.covers_region(&e.region_code)
    }

    async fn load(&self, conn: &mut zhiyuan_store::Conn, id: i64) -> AppResult<Loaded> {
        let event = store::get(conn, id).await?.ok_or(AppError::NotFound("活动"))?;
        let metrics = store::metrics(conn, id).await?;
        let posts = store::posts(conn, id).await?;
        Ok(Loaded {
            event,
            metrics,
            posts,
        })
    }

    /// The office over the event's region, or a leader of one of its posts.
    fn may_see(caller: &Caller, l: &Loaded) -> bool {
        Self::manages(caller, &l.event)
            || l.posts
                .iter()
                .any(|p| p.leader_account_id == Some(caller.account_id))
    }

    fn may_enter(caller: &Caller, e: &EventRow, p: &PostRow) -> bool {
        Self::manages(caller, e) || p.leader_account_id == Some(caller.account_id)
    }

    /// Events the caller manages or has a post in, latest first.
    pub async fn events(&self, caller: &Caller) -> AppResult<Vec<EventSummary>> {
        let mut conn = self.store.read().await?;
        let mut rows = match caller.region_prefix().filter(|_| caller.is_admin()) {
            Some(p) => store::in_region(&mut conn, p, 200).await?,
            None => Vec::new(),
        };
        for e in store::led_by(&mut conn, caller.account_id).await? {
            if !rows.iter().any(|r| r.id == e.id) {
                rows.push(e);
            }
        }
        Ok(rows
            .into_iter()
            .map(|e| EventSummary {
                id: e.id,
                name: e.name,
                region_code: e.region_code,
                starts_on: e.starts_on,
                ends_on: e.ends_on,
            })
            .collect())
    }

    /// 新建活动: an office defines an event in its region. Every problem is reported at once.
    pub async fn create_event(&self, caller: &Caller, input: &EventInput) -> AppResult<EventView> {
        caller.require_admin()?;
        let Some(own) = caller.region_prefix() else {
            return Err(AppError::Forbidden);
        };
        let mut errs = Vec::new();
        let name = rules::event_name(&input.name)
            .map_err(|e| errs.push(field(e)))
            .ok();
        let period = rules::event_period(&input.starts_on, &input.ends_on)
            .map_err(|e| errs.push(field(e)))
            .ok();
        let names: Vec<String> = input.posts.iter().map(|p| p.name.clone()).collect();
        let posts = rules::post_names(&names).map_err(|e| errs.push(field(e))).ok();
        let items: Vec<(String, String)> = input
            .metrics
            .iter()
            .map(|m| (m.name.clone(), m.unit.clone()))
            .collect();
        let metrics = rules::metrics(&items).map_err(|e| errs.push(field(e))).ok();
        let region = match input.region_code.trim() {
            "" => RegionCode::from_prefix(own).ok(),
            r => RegionCode::parse(r).ok(),
        };
        let region = match region {
            Some(r) if r.prefix().starts_with(own) => Some(r),
            Some(_) => return Err(AppError::Forbidden),
            None => {
                errs.push(FieldError::new(
                    "region_code",
                    "region_invalid",
                    "行政区划代码不正确",
                ));
                None
            }
        };
        let mut tx = self.begin().await?;
        // each post's region (inside the event's) and leader (an existing account)
        let mut post_rows = Vec::new();
        for (i, p) in input
            .posts
            .iter()
            .filter(|p| !p.name.trim().is_empty())
            .enumerate()
        {
            let code = match (p.region_code.trim(), &region) {
                ("", Some(r)) => Some(r.as_str().to_owned()),
                ("", None) => None,
                (c, Some(r)) => match RegionCode::parse(c) {
                    Ok(code)
                        if r.contains(&code) && regions::get(&mut tx, code.as_str()).await?.is_some() =>
                    {
                        Some(code.as_str().to_owned())
                    }
                    _ => {
                        errs.push(
                            FieldError::new(
                                "posts",
                                "post_region_invalid",
                                format!("点位“{}”的区划不在活动所在地区内", p.name.trim()),
                            )
                            .at(i),
                        );
                        None
                    }
                },
                (_, None) => None,
            };
            let leader = match p.leader.trim() {
                "" => None,
                u => match accounts::by_username(&mut tx, u).await? {
                    Some(a) => Some(a.id),
                    None => {
                        errs.push(
                            FieldError::new("posts", "leader_unknown", format!("点位负责人账号“{u}”不存在"))
                                .at(i),
                        );
                        None
                    }
                },
            };
            post_rows.push((code, leader));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let (name, (from, to), posts, metrics, region) = (
            name.expect("checked"),
            period.expect("checked"),
            posts.expect("checked"),
            metrics.expect("checked"),
            region.expect("checked"),
        );
        if regions::get(&mut tx, region.as_str()).await?.is_none() {
            return Err(AppError::invalid(
                "region_code",
                "region_invalid",
                "行政区划不存在",
            ));
        }
        let now = zhiyuan_store::now_millis();
        let id = store::insert_event(
            &mut tx,
            &name,
            region.as_str(),
            &from.to_string(),
            &to.to_string(),
            caller.account_id,
            now,
        )
        .await?;
        for (i, (n, u)) in metrics.iter().enumerate() {
            store::insert_metric(&mut tx, id, i as i64, n, u).await?;
        }
        for (i, (n, (code, leader))) in posts.iter().zip(post_rows).enumerate() {
            store::insert_post(
                &mut tx,
                id,
                i as i64,
                n,
                code.as_deref().unwrap_or(region.as_str()),
                leader,
            )
            .await?;
        }
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::EventCreate,
            entity_id: id.to_string(),
            region_code: Some(region.as_str().to_owned()),
            org_path: None,
            before: None,
            after: Some(serde_json::json!({
                "name": name, "period_from": from.to_string(), "period_to": to.to_string(),
                "posts": posts, "metrics": metrics.iter().map(|(n, u)| format!("{n}（{u}）")).collect::<Vec<_>>(),
            })),
        })
        .await?;
        tx.commit(self).await?;
        self.event(caller, id).await
    }

    /// An event with its totals (the office over it, or its post leaders).
    pub async fn event(&self, caller: &Caller, id: i64) -> AppResult<EventView> {
        let mut conn = self.store.read().await?;
        let l = self.load(&mut conn, id).await?;
        if !Self::may_see(caller, &l) {
            return Err(AppError::Forbidden);
        }
        let tallies = store::current_tallies(&mut conn, id).await?;
        let values = store::current_values(&mut conn, id).await?;
        let region_name = regions::get(&mut conn, &l.event.region_code)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        drop(conn);
        let n = l.metrics.len();
        let col: HashMap<i64, usize> = l.metrics.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        let mut by_tally: HashMap<i64, Vec<i64>> = HashMap::new();
        for (t, m, v) in values {
            if let Some(&i) = col.get(&m) {
                by_tally.entry(t).or_insert_with(|| vec![0; n])[i] += v;
            }
        }
        let mut totals = TallyTotals::zero(n);
        let mut per_post: HashMap<i64, TallyTotals> = HashMap::new();
        let mut per_day: std::collections::BTreeMap<String, TallyTotals> = Default::default();
        for t in &tallies {
            let v = by_tally.get(&t.id).cloned().unwrap_or_else(|| vec![0; n]);
            totals.add(t, &v);
            per_post
                .entry(t.post_id)
                .or_insert_with(|| TallyTotals::zero(n))
                .add(t, &v);
            per_day
                .entry(t.day.clone())
                .or_insert_with(|| TallyTotals::zero(n))
                .add(t, &v);
        }
        let manage = Self::manages(caller, &l.event);
        Ok(EventView {
            id: l.event.id,
            name: l.event.name.clone(),
            region_code: l.event.region_code.clone(),
            region_name,
            starts_on: l.event.starts_on.clone(),
            ends_on: l.event.ends_on.clone(),
            metrics: l
                .metrics
                .iter()
                .enumerate()
                .map(|(i, m)| MetricTotal {
                    id: m.id,
                    name: m.name.clone(),
                    unit: m.unit.clone(),
                    total: totals.values[i],
                })
                .collect(),
            posts: l
                .posts
                .iter()
                .map(|p| PostTotals {
                    id: p.id,
                    name: p.name.clone(),
                    region_code: p.region_code.clone(),
                    leader_name: p.leader_name.clone(),
                    can_enter: Self::may_enter(caller, &l.event, p),
                    totals: per_post.remove(&p.id).unwrap_or_else(|| TallyTotals::zero(n)),
                })
                .collect(),
            days: per_day
                .into_iter()
                .map(|(day, totals)| DayTotals { day, totals })
                .collect(),
            totals,
            can_manage: manage,
            as_of: show_time(zhiyuan_store::now_millis()),
        })
    }

    /// The current entry of a post's day, if any (to fill the form for a correction).
    pub async fn tally(
        &self,
        caller: &Caller,
        event_id: i64,
        post_id: i64,
        day: &str,
    ) -> AppResult<Option<TallyView>> {
        let mut conn = self.store.read().await?;
        let l = self.load(&mut conn, event_id).await?;
        let post = l
            .posts
            .iter()
            .find(|p| p.id == post_id)
            .ok_or_else(|| AppError::Invalid(vec![field(EventError::PostNotInEvent)]))?;
        if !Self::may_enter(caller, &l.event, post) && !Self::manages(caller, &l.event) {
            return Err(AppError::Forbidden);
        }
        let Some(t) = store::current_tally(&mut conn, post_id, day).await? else {
            return Ok(None);
        };
        let values = store::values_of(&mut conn, &[t.id]).await?;
        Ok(Some(view(&l.metrics, t, &values)))
    }

    /// Every version of a post's day, oldest first (who entered what, and each correction).
    pub async fn trail(
        &self,
        caller: &Caller,
        event_id: i64,
        post_id: i64,
        day: &str,
    ) -> AppResult<Vec<TallyView>> {
        let mut conn = self.store.read().await?;
        let l = self.load(&mut conn, event_id).await?;
        if !Self::may_see(caller, &l) {
            return Err(AppError::Forbidden);
        }
        if !l.posts.iter().any(|p| p.id == post_id) {
            return Err(AppError::Invalid(vec![field(EventError::PostNotInEvent)]));
        }
        let rows = store::trail(&mut conn, post_id, day).await?;
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let values = store::values_of(&mut conn, &ids).await?;
        Ok(rows.into_iter().map(|t| view(&l.metrics, t, &values)).collect())
    }

    /// 填报日报数: a post's tally for a day. Entering a day that has an entry replaces it (the
    /// earlier one stays in the trail); entering exactly what is there changes nothing.
    pub async fn enter_tally(
        &self,
        caller: &Caller,
        event_id: i64,
        input: &TallyInput,
    ) -> AppResult<TallyView> {
        let mut tx = self.begin().await?;
        let l = self.load(&mut tx, event_id).await?;
        let post = l
            .posts
            .iter()
            .find(|p| p.id == input.post_id)
            .ok_or_else(|| AppError::Invalid(vec![field(EventError::PostNotInEvent)]))?;
        if !Self::may_enter(caller, &l.event, post) {
            return Err(AppError::Forbidden);
        }
        let mut errs = Vec::new();
        let day = NaiveDate::parse_from_str(input.day.trim(), "%Y-%m-%d").ok();
        if day.is_none() {
            errs.push(FieldError::new(
                "day",
                "day_invalid",
                "日期格式不正确（应为 YYYY-MM-DD）",
            ));
        }
        let col: HashMap<i64, usize> = l.metrics.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        let mut counts = vec![0i64; l.metrics.len()];
        for v in &input.values {
            match col.get(&v.metric_id) {
                Some(&i) => counts[i] = v.value,
                None => errs.push(field(EventError::MetricNotInEvent(v.metric_id.to_string()))),
            }
        }
        let period = (
            NaiveDate::parse_from_str(&l.event.starts_on, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(e.to_string()))?,
            NaiveDate::parse_from_str(&l.event.ends_on, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(e.to_string()))?,
        );
        let checked_values: Vec<i64> = input.values.iter().map(|v| v.value).collect();
        if let Err(e) = rules::check_tally(
            period,
            day.unwrap_or(period.0),
            &checked_values,
            input.guides,
            input.guide_minutes,
        ) {
            errs.extend(e.into_iter().map(field));
        }
        let note: String = input.note.trim().chars().take(200).collect();
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let day = day.expect("checked").to_string();
        let earlier = store::current_tally(&mut tx, post.id, &day).await?;
        if let Some(e) = &earlier {
            let stored = store::values_of(&mut tx, &[e.id]).await?;
            let same = view(&l.metrics, e.clone(), &stored);
            if same.values == counts
                && e.guides == input.guides
                && e.guide_minutes == input.guide_minutes
                && e.note == note
            {
                // a resubmission of what is there: nothing to write
                return Ok(same);
            }
            store::retire(&mut tx, e.id).await?;
        }
        let version = earlier.as_ref().map_or(1, |e| e.version + 1);
        let id = store::insert_tally(
            &mut tx,
            event_id,
            post.id,
            &day,
            version,
            earlier.as_ref().map(|e| e.id),
            input.guides,
            input.guide_minutes,
            &note,
            caller.account_id,
            zhiyuan_store::now_millis(),
        )
        .await
        .map_err(|e| {
            if e.unique_violation().is_some() {
                AppError::Conflict {
                    code: "tally_changed",
                    field: Some("day"),
                    message: "该点位当天的数据刚由他人填报，请刷新后核对再提交".into(),
                }
            } else {
                AppError::Store(e)
            }
        })?;
        for (m, v) in l.metrics.iter().zip(&counts) {
            store::insert_value(&mut tx, id, m.id, *v).await?;
        }
        let named: serde_json::Map<String, serde_json::Value> = l
            .metrics
            .iter()
            .zip(&counts)
            .map(|(m, v)| (format!("{}（{}）", m.name, m.unit), serde_json::json!(v)))
            .collect();
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::EventTally,
            entity_id: event_id.to_string(),
            region_code: Some(post.region_code.clone()),
            org_path: None,
            before: earlier.as_ref().map(|e| serde_json::json!({"version": e.version, "guides": e.guides})),
            after: Some(serde_json::json!({
                "name": format!("{} · {} · {}", l.event.name, post.name, day),
                "version": version, "guides": input.guides, "hours": hours(input.guide_minutes), "values": named,
            })),
        })
        .await?;
        let row = store::current_tally(&mut tx, post.id, &day)
            .await?
            .ok_or(AppError::NotFound("日报数"))?;
        tx.commit(self).await?;
        let values: Vec<(i64, i64, i64)> = l
            .metrics
            .iter()
            .zip(&counts)
            .map(|(m, v)| (id, m.id, *v))
            .collect();
        Ok(view(&l.metrics, row, &values))
    }
}

fn view(metrics: &[MetricRow], t: TallyRow, values: &[(i64, i64, i64)]) -> TallyView {
    let mut out = vec![0; metrics.len()];
    for (i, m) in metrics.iter().enumerate() {
        if let Some((_, _, v)) = values.iter().find(|(tid, mid, _)| *tid == t.id && *mid == m.id) {
            out[i] = *v;
        }
    }
    TallyView {
        id: t.id,
        post_id: t.post_id,
        day: t.day,
        version: t.version,
        supersedes: t.supersedes,
        values: out,
        metric_ids: metrics.iter().map(|m| m.id).collect(),
        guides: t.guides,
        guide_minutes: t.guide_minutes,
        note: t.note,
        entered_by: t.entered_by_name,
        entered_at: show_time(t.entered_at),
    }
}
