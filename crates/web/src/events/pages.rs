//! 活动统计 pages: the list, 新建活动, an event's totals (tables and a chart), and 填报日报数,
//! the one-screen form a post leader fills in on a phone each day.

use askama::Template;
use axum::extract::{Path, Query};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use zhiyuan_app::events::{
    EventInput, EventSummary, EventView, MetricInput, PostInput, TallyInput, TallyValue, TallyView,
};
use zhiyuan_app::idempotency::new_form_key;

use crate::pages::{
    form_status, is_input_error, ok, once, render, see_other, Ctx, FormErrors, Nav, PageResult,
};
use crate::stats::charts::{self, Datum};
use crate::AppState;

#[derive(Template)]
#[template(path = "events.html")]
struct ListPage {
    nav: Nav,
    events: Vec<EventSummary>,
    can_create: bool,
}

pub(crate) async fn list(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    let events = ctx.app.events().events(caller).await.map_err(|e| ctx.fail(e))?;
    ok(&ListPage {
        nav: ctx.nav(),
        can_create: caller.is_admin() && caller.region_prefix().is_some(),
        events,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NewForm {
    name: String,
    starts_on: String,
    ends_on: String,
    /// One post a line: `名称 [区划代码] [负责人账号]`.
    posts: String,
    /// One metric a line: `名称 单位`.
    metrics: String,
    form_key: String,
}

#[derive(Template)]
#[template(path = "event_new.html")]
struct NewPage {
    nav: Nav,
    form: NewForm,
    errors: FormErrors,
}

fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || c == '，' || c == ',' || c == '\u{3000}')
        .filter(|w| !w.is_empty())
        .collect()
}

/// `北京站 110101001000 zhangsan`: the name, then optionally a region code (12 digits) and a
/// leader's username.
fn parse_posts(text: &str) -> Vec<PostInput> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut w = words(l);
            let mut p = PostInput::default();
            if w.len() > 1 && w.last().is_some_and(|x| !x.bytes().all(|b| b.is_ascii_digit())) && w.len() >= 2
            {
                // a trailing non-number after a code or after the name is the leader
                let last = w[w.len() - 1];
                if w.len() >= 3 || last.is_ascii() {
                    p.leader = last.to_owned();
                    w.pop();
                }
            }
            if w.len() > 1
                && w.last()
                    .is_some_and(|x| x.len() == 12 && x.bytes().all(|b| b.is_ascii_digit()))
            {
                p.region_code = w.pop().unwrap_or_default().to_owned();
            }
            p.name = w.join(" ");
            p
        })
        .collect()
}

/// `照顾老幼病残孕乘客 人次`: the last word is the unit.
fn parse_metrics(text: &str) -> Vec<MetricInput> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut w = words(l);
            let unit = if w.len() > 1 {
                w.pop().unwrap_or_default().to_owned()
            } else {
                String::new()
            };
            MetricInput {
                name: w.join(" "),
                unit,
            }
        })
        .collect()
}

pub(crate) async fn new_form(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    if !(caller.is_admin() && caller.region_prefix().is_some()) {
        return Err(ctx.fail(zhiyuan_app::AppError::Forbidden));
    }
    ok(&NewPage {
        nav: ctx.nav(),
        form: NewForm {
            form_key: new_form_key(),
            ..Default::default()
        },
        errors: FormErrors::default(),
    })
}

pub(crate) async fn create(ctx: Ctx, Form(form): Form<NewForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let input = EventInput {
        name: form.name.clone(),
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        region_code: String::new(),
        posts: parse_posts(&form.posts),
        metrics: parse_metrics(&form.metrics),
    };
    let key = form.form_key.clone();
    once(&ctx, caller, "events.new", &key, async {
        match ctx.app.events().create_event(caller, &input).await {
            Ok(e) => Ok(see_other(&format!("/events/{}?done=created", e.id))),
            Err(e) if is_input_error(&e) => {
                let page = NewPage {
                    nav: ctx.nav().at("/events/new"),
                    errors: FormErrors::from_app(&e),
                    form,
                };
                Ok(render(form_status(&e), &page))
            }
            Err(e) => Err(ctx.fail(e)),
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    nav: Nav,
    e: EventView,
    chart: String,
    /// The caller may enter at least one post's tallies.
    can_enter: bool,
    notice: Option<&'static str>,
    today: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<i64>, Query(q): Query<DoneQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let e = ctx
        .app
        .events()
        .event(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    // one bar a post, of the first metric (the event's headline figure)
    let chart = match e.metrics.first() {
        Some(m) => charts::bars(
            "chart-posts",
            &format!("各点位{}", m.name),
            &m.unit,
            &e.posts
                .iter()
                .map(|p| Datum {
                    label: p.name.clone(),
                    value: p.totals.values.first().copied().unwrap_or(0) as f64,
                    shown: p.totals.values.first().copied().unwrap_or(0).to_string(),
                    href: format!("#post-{}", p.id),
                })
                .collect::<Vec<_>>(),
        ),
        None => String::new(),
    };
    let today = zhiyuan_app::today().to_string();
    ok(&EventPage {
        nav: ctx.nav(),
        chart,
        can_enter: e.posts.iter().any(|p| p.can_enter),
        notice: match q.done.as_str() {
            "created" => Some("活动已创建。点位负责人可在手机上打开“填报日报数”逐日填报。"),
            "entered" => Some("日报数已保存，合计已更新。"),
            _ => None,
        },
        today: today.clamp(e.starts_on.clone(), e.ends_on.clone()),
        e,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct TallyForm {
    post_id: String,
    day: String,
    guides: String,
    /// Hours, one decimal.
    hours: String,
    note: String,
    form_key: String,
    /// `m<metric id>` = count, read from the raw form.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub(crate) struct MetricField {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub value: String,
}

pub(crate) struct PostChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "event_tally.html")]
struct TallyPage {
    nav: Nav,
    e: EventView,
    posts: Vec<PostChoice>,
    fields: Vec<MetricField>,
    form: TallyForm,
    errors: FormErrors,
    /// The day already has an entry: this is a correction.
    earlier: Option<TallyView>,
    trail: Vec<TallyView>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TallyQuery {
    post: String,
    day: String,
}

async fn tally_page(
    ctx: &Ctx,
    id: i64,
    mut form: TallyForm,
    errors: FormErrors,
    fill: bool,
) -> Result<TallyPage, axum::response::Response> {
    let caller = ctx.require_login()?;
    let e = ctx
        .app
        .events()
        .event(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let enterable: Vec<_> = e.posts.iter().filter(|p| p.can_enter).collect();
    if enterable.is_empty() {
        return Err(ctx.fail(zhiyuan_app::AppError::Forbidden));
    }
    let post_id = form
        .post_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| enterable.iter().any(|x| x.id == *p))
        .unwrap_or(enterable[0].id);
    form.post_id = post_id.to_string();
    if form.day.trim().is_empty() {
        form.day = zhiyuan_app::today()
            .to_string()
            .clamp(e.starts_on.clone(), e.ends_on.clone());
    }
    let earlier = match chrono::NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d") {
        Ok(_) => ctx
            .app
            .events()
            .tally(caller, id, post_id, form.day.trim())
            .await
            .map_err(|e| ctx.fail(e))?,
        Err(_) => None,
    };
    let trail = match &earlier {
        Some(t) if t.version > 1 => ctx
            .app
            .events()
            .trail(caller, id, post_id, &t.day)
            .await
            .map_err(|e| ctx.fail(e))?,
        _ => Vec::new(),
    };
    if fill {
        if let Some(t) = &earlier {
            form.guides = t.guides.to_string();
            form.hours = format!("{:.1}", t.guide_minutes as f64 / 60.0);
            form.note = t.note.clone();
        }
    }
    let fields = e
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| MetricField {
            id: m.id,
            name: m.name.clone(),
            unit: m.unit.clone(),
            value: match (fill, &earlier) {
                (true, Some(t)) => t.values.get(i).map(|v| v.to_string()).unwrap_or_default(),
                _ => form.rest.get(&format!("m{}", m.id)).cloned().unwrap_or_default(),
            },
        })
        .collect();
    let posts = enterable
        .iter()
        .map(|p| PostChoice {
            id: p.id,
            name: p.name.clone(),
            selected: p.id == post_id,
        })
        .collect();
    if form.form_key.is_empty() {
        form.form_key = new_form_key();
    }
    Ok(TallyPage {
        nav: ctx.nav(),
        e,
        posts,
        fields,
        form,
        errors,
        earlier,
        trail,
    })
}

pub(crate) async fn tally_form(ctx: Ctx, Path(id): Path<i64>, Query(q): Query<TallyQuery>) -> PageResult {
    let form = TallyForm {
        post_id: q.post,
        day: q.day,
        ..Default::default()
    };
    let page = tally_page(&ctx, id, form, FormErrors::default(), true).await?;
    ok(&page)
}

fn count(s: &str) -> i64 {
    let s = s.trim();
    if s.is_empty() {
        0
    } else {
        s.parse().unwrap_or(-1)
    }
}

pub(crate) async fn tally_submit(ctx: Ctx, Path(id): Path<i64>, Form(form): Form<TallyForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let values: Vec<TallyValue> = form
        .rest
        .iter()
        .filter_map(|(k, v)| {
            Some(TallyValue {
                metric_id: k.strip_prefix('m')?.parse().ok()?,
                value: count(v),
            })
        })
        .collect();
    let hours: f64 = if form.hours.trim().is_empty() {
        0.0
    } else {
        form.hours.trim().parse().unwrap_or(-1.0)
    };
    let input = TallyInput {
        post_id: form.post_id.trim().parse().unwrap_or(-1),
        day: form.day.trim().to_owned(),
        values,
        guides: count(&form.guides),
        guide_minutes: if hours < 0.0 {
            -1
        } else {
            (hours * 60.0).round() as i64
        },
        note: form.note.clone(),
    };
    let key = form.form_key.clone();
    once(&ctx, caller, "events.tally", &key, async {
        match ctx.app.events().enter_tally(caller, id, &input).await {
            Ok(_) => Ok(see_other(&format!("/events/{id}?done=entered"))),
            Err(e) if is_input_error(&e) => {
                let mut page = tally_page(&ctx, id, form.clone(), FormErrors::from_app(&e), false).await?;
                page.nav = page.nav.at(format!("/events/{id}/tally"));
                Ok(render(form_status(&e), &page))
            }
            Err(e) => Err(ctx.fail(e)),
        }
    })
    .await
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/events", get(list))
        .route("/events/new", get(new_form).post(create))
        .route("/events/{id}", get(show))
        .route("/events/{id}/tally", get(tally_form).post(tally_submit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_offices_type_them() {
        let p =
            parse_posts("北京站\n北京西站 110102001000\n  北京南站　110106001000 zhangsan \n\n朝阳站 lisi");
        assert_eq!(p.len(), 4);
        assert_eq!(
            (
                p[0].name.as_str(),
                p[0].region_code.as_str(),
                p[0].leader.as_str()
            ),
            ("北京站", "", "")
        );
        assert_eq!(
            (p[1].name.as_str(), p[1].region_code.as_str()),
            ("北京西站", "110102001000")
        );
        assert_eq!(
            (
                p[2].name.as_str(),
                p[2].region_code.as_str(),
                p[2].leader.as_str()
            ),
            ("北京南站", "110106001000", "zhangsan")
        );
        assert_eq!((p[3].name.as_str(), p[3].leader.as_str()), ("朝阳站", "lisi"));
        let m = parse_metrics("照顾老幼病残孕乘客 人次\n捡拾物品，件\n咨询指路");
        assert_eq!(
            (m[0].name.as_str(), m[0].unit.as_str()),
            ("照顾老幼病残孕乘客", "人次")
        );
        assert_eq!((m[1].name.as_str(), m[1].unit.as_str()), ("捡拾物品", "件"));
        assert_eq!(
            (m[2].name.as_str(), m[2].unit.as_str()),
            ("咨询指路", ""),
            "a missing unit is refused by the rules"
        );
    }
}
