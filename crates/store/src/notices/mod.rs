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

fn notice_cond(s: &NoticeScope) -> (String, Vec<NArg>) {
    let mut parts = vec!["(n.recipient_kind = 'account' AND n.recipient_id = $1)".to_owned()];
    let mut args = vec![NArg::I(s.account_id)];
    if let Some(id) = s.site_id {
        args.push(NArg::I(id));
        parts.push(format!(
            "(n.recipient_kind = 'site' AND n.recipient_id = ${})",
            args.len()
        ));
    }
    if let Some(id) = s.volunteer_id {
        args.push(NArg::I(id));
        parts.push(format!(
            "(n.recipient_kind = 'volunteer' AND n.recipient_id = ${})",
            args.len()
        ));
    }
    if let Some(p) = &s.team_path {
        let (lo, hi) = prefix_range(p);
        args.push(NArg::S(lo));
        args.push(NArg::S(hi));
        parts.push(format!(
            "(n.recipient_kind = 'team' AND EXISTS (SELECT 1 FROM organizations g WHERE g.id = n.recipient_id \
             AND g.path >= ${} AND g.path < ${}))",
            args.len() - 1,
            args.len()
        ));
    }
    if let Some(p) = &s.region_prefix {
        let (lo, hi) = prefix_range(p);
        args.push(NArg::S(lo));
        args.push(NArg::S(hi));
        parts.push(format!(
            "(n.recipient_kind = 'region' AND n.recipient_region >= ${} AND n.recipient_region < ${})",
            args.len() - 1,
            args.len()
        ));
    }
    (format!("({})", parts.join(" OR ")), args)
}

enum NArg {
    I(i64),
    S(String),
}

/// A reader's notices, newest first, and how many are unread.
pub async fn notices_for(conn: &mut Conn, s: &NoticeScope, limit: i64) -> Result<(Vec<NoticeRow>, i64)> {
    let (cond, args) = notice_cond(s);
    // read state is the reader's own ($1 is the reader's account)
    let sql = format!(
        "SELECT n.id, n.recipient_kind, n.recipient_id, n.recipient_region, n.kind, n.text, n.order_id, \
         n.created_at, r.read_at FROM notices n \
         LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.account_id = $1 \
         WHERE {cond} ORDER BY n.id DESC LIMIT {}",
        limit.clamp(1, 500)
    );
    let mut q = sqlx::query_as::<_, NoticeRow>(&sql);
    for a in &args {
        q = match a {
            NArg::I(v) => q.bind(*v),
            NArg::S(v) => q.bind(v.clone()),
        };
    }
    let items = q.fetch_all(&mut *conn).await?;
    let sql = format!(
        "SELECT COUNT(*) FROM notices n WHERE {cond} AND NOT EXISTS \
         (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.account_id = $1)"
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for a in &args {
        q = match a {
            NArg::I(v) => q.bind(*v),
            NArg::S(v) => q.bind(v.clone()),
        };
    }
    let (unread,) = q.fetch_one(conn).await?;
    Ok((items, unread))
}

/// Marks a notice read for the reader when it is one of the reader's; false when it is not
/// (or the reader had read it). Other readers of the same notice keep their own state.
pub async fn mark_read(conn: &mut Conn, s: &NoticeScope, id: i64) -> Result<bool> {
    let (cond, args) = notice_cond(s);
    let sql = format!(
        "INSERT INTO notice_reads (notice_id, account_id, read_at) \
         SELECT n.id, $1, ${} FROM notices n WHERE n.id = ${} AND {cond} \
         ON CONFLICT (notice_id, account_id) DO NOTHING",
        args.len() + 1,
        args.len() + 2
    );
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = match a {
            NArg::I(v) => q.bind(*v),
            NArg::S(v) => q.bind(v.clone()),
        };
    }
    Ok(q.bind(now_millis()).bind(id).execute(conn).await?.rows_affected() == 1)
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
