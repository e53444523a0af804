//! The pages of volunteer service: projects, shifts, sign-ups and attendance (`projects`),
//! service records, hours and certificates (`records`).

use axum::routing::{get, post};
use axum::Router;
use zhiyuan_app::network::policy::{administers, TeamPlace};
use zhiyuan_app::network::OrgFilter;
use zhiyuan_app::{App, AppResult, Caller, PageRequest, Scope};
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};
use zhiyuan_domain::service::RecordStatus;

use crate::pages::Choice;
use crate::AppState;

mod editing;
pub(crate) mod projects;
pub(crate) mod records;

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/projects", get(projects::list))
        .route("/projects/nearby", get(projects::nearby))
        .route("/projects/new", get(projects::new_form).post(projects::create))
        .route("/projects/{id}", get(projects::detail))
        .route(
            "/projects/{id}/edit",
            get(editing::project_edit_form).post(editing::update_project),
        )
        .route("/projects/{id}/status", post(projects::set_status))
        .route("/projects/{id}/shifts", post(projects::add_shift))
        .route(
            "/shifts/{id}/edit",
            get(editing::shift_edit_form).post(editing::update_shift),
        )
        .route("/shifts/{id}/sign-up", post(projects::sign_up))
        .route("/shifts/{id}/roster", get(projects::roster))
        .route("/shifts/{id}/qr", get(projects::poster))
        .route("/shifts/{id}/sheet.pdf", get(projects::sign_in_sheet))
        .route("/sign-ups/{id}/cancel", post(projects::cancel))
        .route("/sign-ups/{id}/approve", post(projects::approve))
        .route("/sign-ups/{id}/decline", post(projects::decline))
        .route("/sign-ups/{id}/check-in", post(projects::check_in))
        .route("/sign-ups/{id}/check-out", post(projects::check_out))
        .route("/sign-ups/{id}/undo-check-out", post(projects::undo_check_out))
        .route("/checkin", get(projects::checkin_form).post(projects::checkin))
        .route("/records/entry", get(records::entry_form).post(records::enter))
        .route("/records/pending", get(records::pending))
        .route("/records/bulk", post(records::bulk))
        .route("/records/{id}", get(records::history))
        .route("/records/{id}/confirm", post(records::confirm))
        .route("/records/{id}/reject", post(records::reject))
        .route("/records/{id}/correct", post(records::correct))
        .route("/me/hours", get(records::my_hours).post(records::declare))
        .route(
            "/me/certificates",
            get(records::my_certificates).post(records::issue_certificate),
        )
        .route("/certificates/{file}", get(records::certificate_pdf))
        .route("/verify", get(records::verify_form))
        .route("/verify/{no}", get(records::verify))
        .route("/honor-roll", get(records::honor_roll))
}

// What the project and record pages share.

/// The teams an administrator may act for (organize projects, enter records).
pub(crate) async fn team_choices(app: &App, caller: &Caller, selected: &str) -> AppResult<Vec<Choice>> {
    let filter = match &caller.scope {
        Scope::Team { path, .. } => OrgFilter {
            path_prefix: Some(path.clone()),
            ..Default::default()
        },
        Scope::Region { prefix } | Scope::Site { prefix, .. } => OrgFilter {
            region_prefix: Some(prefix.clone()),
            ..Default::default()
        },
        Scope::Own => return Ok(Vec::new()),
    };
    let page = app
        .network()
        .orgs(&filter, PageRequest::new(None, Some(200)))
        .await?;
    let base = page.items.iter().map(|o| o.depth).min().unwrap_or(0);
    let only_one = page.items.len() == 1;
    Ok(page
        .items
        .into_iter()
        .map(|o| {
            let indent = "　".repeat(o.depth.saturating_sub(base));
            let value = o.id.to_string();
            Choice {
                selected: value == selected || only_one,
                value,
                label: format!("{indent}{}（{}）", o.name, o.region_name),
            }
        })
        .collect())
}

/// Whether the caller administers the team (and so manages its projects, shifts, sign-ups and
/// records): the network's policy, asked of the place a view carries.
pub(crate) fn manages(caller: Option<&Caller>, team: &TeamPlace) -> bool {
    caller.is_some_and(|c| administers(c, team))
}

/// The colour a state is shown in: its CSS class (`status-approved`, `status-pending`,
/// `status-draft` or `status-declined`). Templates call `x.status.tone()`.
pub(crate) trait Tone {
    fn tone(&self) -> &'static str;
}

impl Tone for ProjectStatus {
    fn tone(&self) -> &'static str {
        match self {
            ProjectStatus::Recruiting => "status-approved",
            ProjectStatus::Running => "status-pending",
            ProjectStatus::Draft => "status-draft",
            ProjectStatus::Finished | ProjectStatus::Cancelled => "status-declined",
        }
    }
}

impl Tone for SignUpStatus {
    fn tone(&self) -> &'static str {
        match self {
            SignUpStatus::Approved => "status-approved",
            SignUpStatus::Pending | SignUpStatus::Waitlisted => "status-pending",
            _ => "status-declined",
        }
    }
}

impl Tone for RecordStatus {
    fn tone(&self) -> &'static str {
        match self {
            RecordStatus::Confirmed => "status-approved",
            RecordStatus::Pending => "status-pending",
            _ => "status-declined",
        }
    }
}

/// `★★☆☆☆` for a star level out of five.
pub(crate) fn stars(level: u8) -> String {
    let n = usize::from(level.min(5));
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// `path?key=value`, or `path&key=value` when it already has a query.
pub(crate) fn with_param(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={}", crate::pages::enc(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_query_parameters() {
        assert_eq!(stars(2), "★★☆☆☆");
        assert_eq!(stars(9), "★★★★★");
        assert_eq!(with_param("/p/1", "done", "x"), "/p/1?done=x");
        assert_eq!(with_param("/p?a=1", "done", "x"), "/p?a=1&done=x");
    }
}
