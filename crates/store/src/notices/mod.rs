//! Notices (通知提醒): who is told what, and who has read it. Read state is per account.

use sqlx::FromRow;
use zhiyuan_domain::notices::NoticeKind;

use crate::{now_millis, prefix_range, Conn, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct NoticeRow {
    pub id: i64,
    pub recipient_kind: String,
    pub recipient_id: Option<i64>,
    pub recipient_region: String,
    pub kind: String,
    pub text: String,
    pub order_id: Option<i64>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Who a notice is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A practice site's office.
    Site(i64),
    /// The administrators of a region prefix (district or city).
    Region(String),
    Team(i64),
    Volunteer(i64),
    Account(i64),
}

impl Recipient {
    fn parts(&self) -> (&'static str, Option<i64>, String) {
        match self {
            Recipient::Site(id) => ("site", Some(*id), String::new()),
            Recipient::Region(p) => ("region", None, p.clone()),
            Recipient::Team(id) => ("team", Some(*id), String::new()),
            Recipient::Volunteer(id) => ("volunteer", Some(*id), String::new()),
            Recipient::Account(id) => ("account", Some(*id), String::new()),
        }
    }
}

/// A notice; `region` is the region it concerns (kept for region recipients' scoping).
pub async fn notify(
    conn: &mut Conn,
    to: &Recipient,
    region: &str,
    kind: NoticeKind,
    text: &str,
    order_id: Option<i64>,
) -> Result<i64> {
    let (rk, rid, rregion) = to.parts();
    let rregion = if rregion.is_empty() {
        region.to_owned()
    } else {
        rregion
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notices (recipient_kind, recipient_id, recipient_region, kind, text, order_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(rk)
    .bind(rid)
    .bind(rregion)
    .bind(kind.as_str())
    .bind(text)
    .bind(order_id)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Which notices a reader gets: the account's own, plus one site's, teams in a path subtree,
/// a volunteer's, or region notices whose prefix lies within a region prefix.
#[derive(Clone, Debug, Default)]
pub struct NoticeScope {
    pub account_id: i64,
    pub site_id: Option<i64>,
    pub team_path: Option<String>,
    pub volunteer_id: Option<i64>,
    pub region_prefix: Option<String>,
}

/// Which notices a reader gets, as one fixed condition: `$1` the account, `$2` a site, `$3` a
/// volunteer, `$4`–`$5` a team path range, `$6`–`$7` a region range. What the reader lacks is
/// bound as NULL, which matches nothing, so every reader shares one statement.
const SCOPE_COND: &str = "((n.recipient_kind = 'account' AND n.recipient_id = $1) \
     OR (n.recipient_kind = 'site' AND n.recipient_id = $2) \
     OR (n.recipient_kind = 'volunteer' AND n.recipient_id = $3) \
     OR (n.recipient_kind = 'team' AND EXISTS (SELECT 1 FROM organizations g WHERE g.id = n.recipient_id \
         AND g.path >= $4 AND g.path < $5)) \
     OR (n.recipient_kind = 'region' AND n.recipient_region >= $6 AND n.recipient_region < $7))";

/// Binds a [`NoticeScope`] as `$1`–`$7` of [`SCOPE_COND`].
macro_rules! bind_scope {
    ($q:expr, $s:expr) => {{
        let s: &NoticeScope = $s;
        let team = s.team_path.as_deref().map(prefix_range);
        let region = s.region_prefix.as_deref().map(prefix_range);
        $q.bind(s.account_id)
            .bind(s.site_id)
            .bind(s.volunteer_id)
            .bind(team.as_ref().map(|t| t.0.clone()))
            .bind(team.map(|t| t.1))
            .bind(region.as_ref().map(|r| r.0.clone()))
            .bind(region.map(|r| r.1))
    }};
}

/// A reader's notices, newest first, and how many are unread.
pub async fn notices_for(conn: &mut Conn, s: &NoticeScope, limit: i64) -> Result<(Vec<NoticeRow>, i64)> {
    // read state is the reader's own ($1 is the reader's account)
    let sql = format!(
        "SELECT n.id, n.recipient_kind, n.recipient_id, n.recipient_region, n.kind, n.text, n.order_id, \
         n.created_at, r.read_at FROM notices n \
         LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.account_id = $1 \
         WHERE {SCOPE_COND} ORDER BY n.id DESC LIMIT $8"
    );
    let items = bind_scope!(sqlx::query_as::<_, NoticeRow>(&sql), s)
        .bind(limit.clamp(1, 500))
        .fetch_all(&mut *conn)
        .await?;
    let unread = unread_count(conn, s).await?;
    Ok((items, unread))
}

/// How many of the reader's notices the reader has not read.
pub async fn unread_count(conn: &mut Conn, s: &NoticeScope) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM notices n WHERE {SCOPE_COND} AND NOT EXISTS \
         (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.account_id = $1)"
    );
    let (unread,) = bind_scope!(sqlx::query_as::<_, (i64,)>(&sql), s)
        .fetch_one(conn)
        .await?;
    Ok(unread)
}

/// Marks every notice of the reader read (全部标为已读); how many were unread.
pub async fn mark_all_read(conn: &mut Conn, s: &NoticeScope) -> Result<u64> {
    let sql = format!(
        "INSERT INTO notice_reads (notice_id, account_id, read_at) \
         SELECT n.id, $1, $8 FROM notices n WHERE {SCOPE_COND} \
         ON CONFLICT (notice_id, account_id) DO NOTHING"
    );
    Ok(bind_scope!(sqlx::query(&sql), s)
        .bind(now_millis())
        .execute(conn)
        .await?
        .rows_affected())
}

/// Marks a notice read for the reader when it is one of the reader's; false when it is not
/// (or the reader had read it). Other readers of the same notice keep their own state.
pub async fn mark_read(conn: &mut Conn, s: &NoticeScope, id: i64) -> Result<bool> {
    let sql = format!(
        "INSERT INTO notice_reads (notice_id, account_id, read_at) \
         SELECT n.id, $1, $8 FROM notices n WHERE n.id = $9 AND {SCOPE_COND} \
         ON CONFLICT (notice_id, account_id) DO NOTHING"
    );
    Ok(bind_scope!(sqlx::query(&sql), s)
        .bind(now_millis())
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Notices about one order (for tests and the order page).
pub async fn notices_of_order(conn: &mut Conn, order_id: i64) -> Result<Vec<NoticeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, recipient_kind, recipient_id, recipient_region, kind, text, order_id, created_at, read_at \
         FROM notices WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// How many notices there are in all.
pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notices")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
