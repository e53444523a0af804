//! Notices (通知提醒): what each reader is told, and their own read marks. Notices are sent by
//! the change they tell of, through its unit of work ([`crate::work::Work::notify`]).

context_handle!(
    /// The notices context's use cases (`app.notices().notices()`).
    Notices
);

use serde::Serialize;
use utoipa::ToSchema;
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_store::notices::{self, NoticeScope};

use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult};
use crate::show_time;
use crate::work::Bookkeeping;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub text: String,
    pub order_id: Option<i64>,
    pub created_at: String,
    pub read: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeList {
    pub items: Vec<NoticeView>,
    pub unread: i64,
}

impl Notices<'_> {
    fn notice_scope(caller: &Caller) -> NoticeScope {
        let mut s = NoticeScope {
            account_id: caller.account_id,
            volunteer_id: caller.volunteer_id,
            ..Default::default()
        };
        match &caller.scope {
            Scope::Site { site_id, .. } => s.site_id = Some(*site_id),
            Scope::Team { path, .. } => s.team_path = Some(path.clone()),
            Scope::Region { prefix } => s.region_prefix = Some(prefix.clone()),
            Scope::Own => {}
        }
        s
    }

    /// The caller's notices, newest first, with the unread count.
    pub async fn notices(&self, caller: &Caller) -> AppResult<NoticeList> {
        let mut conn = self.conn().await?;
        let (rows, unread) = notices::notices_for(&mut conn, &Self::notice_scope(caller), 200).await?;
        Ok(NoticeList {
            items: rows
                .into_iter()
                .map(|n| NoticeView {
                    id: n.id,
                    kind_label: NoticeKind::parse(&n.kind)
                        .map_or("通知", NoticeKind::label)
                        .to_owned(),
                    kind: n.kind,
                    text: n.text,
                    order_id: n.order_id,
                    created_at: show_time(n.created_at),
                    read: n.read_at.is_some(),
                })
                .collect(),
            unread,
        })
    }

    /// How many of the caller's notices are unread (the count beside 通知 in the header).
    pub async fn unread_count(&self, caller: &Caller) -> AppResult<i64> {
        let mut conn = self.conn().await?;
        Ok(notices::unread_count(&mut conn, &Self::notice_scope(caller)).await?)
    }

    /// Marks all the caller's notices read; how many were unread.
    pub async fn read_all(&self, caller: &Caller) -> AppResult<u64> {
        let mut tx = self.bookkeeping(Bookkeeping::NoticeRead).await?;
        let n = notices::mark_all_read(&mut tx, &Self::notice_scope(caller)).await?;
        tx.commit(self).await?;
        Ok(n)
    }

    /// Marks one of the caller's notices read.
    pub async fn read_notice(&self, caller: &Caller, id: i64) -> AppResult<()> {
        let mut tx = self.bookkeeping(Bookkeeping::NoticeRead).await?;
        if !notices::mark_read(&mut tx, &Self::notice_scope(caller), id).await? {
            return Err(AppError::NotFound("通知"));
        }
        tx.commit(self).await
    }
}
