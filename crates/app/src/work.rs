//! The unit of work: every change to the data goes through one [`Work`].
//!
//! A `Work` is one write transaction that collects what the change owes besides its rows: its
//! audit entries (written in the transaction), the notices it sends (written at commit, in the
//! same transaction, so a notice never tells of a change that was rolled back) and the hooks to
//! run once it is committed (the matching index, the caller cache). [`Work::commit`] refuses a
//! change that recorded no audit entry: it rolls back and answers an internal error, so a new
//! use case that forgets its audit fails its first test instead of writing silently.
//!
//! Writes that are bookkeeping rather than a change anyone answers for (sessions, idempotency
//! keys, read marks, the reference regions) say so with [`App::bookkeeping`], naming why.
//! `clippy.toml` forbids `Store::write` everywhere else, so no write can slip past both.

use std::ops::{Deref, DerefMut};

use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_store::audit::{self, NewAudit};
use zhiyuan_store::notices::{self, Recipient};
use zhiyuan_store::{Conn, StoreError, Tx};

use crate::error::{AppError, AppResult};
use crate::App;

/// Something to do once the change is committed (never before: a hook that runs and then sees
/// the transaction roll back would leave the index describing data that does not exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AfterCommit {
    /// Reload one volunteer's entry in the matching index.
    RefreshVolunteer(i64),
    /// Reload the entries of every volunteer an order's offers name (their load changed).
    RefreshOrderVolunteers(i64),
    /// Accounts or their offices changed: cached callers must be read again.
    ForgetCallers,
    /// A volunteer's residence, registration, confirmed minutes or certificates changed: read
    /// their statistics facts again.
    RefreshResident(i64),
    /// A project or one of its shifts changed: read its shifts again for the project figures.
    RefreshProject(i64),
}

/// A notice the change sends when it commits.
#[derive(Clone, Debug)]
struct PendingNotice {
    to: Recipient,
    region: String,
    kind: NoticeKind,
    text: String,
    order_id: Option<i64>,
}

/// Why a write records no audit entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bookkeeping {
    /// Signing in or out: a session row.
    Session,
    /// A saved answer for an `Idempotency-Key`.
    IdempotencyKey,
    /// A reader marked a notice read.
    NoticeRead,
    /// The reference regions loaded at start.
    ReferenceData,
    /// A check-in tap already applied, replayed by an offline device: only the event log grows.
    AttendanceReplay,
    /// A wrong one-time code counted against its attempts.
    CodeAttempt,
    /// Demo data given a past (an order that took place already).
    DemoHistory,
    /// Derived figures rebuilt from the rows (`zhiyuan rebuild-stats`).
    Statistics,
}

/// One write transaction with its audit entries, notices and after-commit hooks.
pub(crate) struct Work {
    tx: Tx,
    /// Whether a missing audit entry is an error.
    audited: bool,
    entries: usize,
    notices: Vec<PendingNotice>,
    after: Vec<AfterCommit>,
    /// Changes to the statistics figures, taken into the live index once committed.
    stats: Vec<zhiyuan_domain::stats::index::Delta>,
}

impl App {
    /// Begins a change that must record at least one audit entry.
    pub(crate) async fn begin(&self) -> AppResult<Work> {
        Ok(Work::new(self.store_write().await?, true))
    }

    /// Begins a write that is bookkeeping, not an audited change.
    pub(crate) async fn bookkeeping(&self, why: Bookkeeping) -> AppResult<Work> {
        tracing::trace!(?why, "bookkeeping write");
        Ok(Work::new(self.store_write().await?, false))
    }

    #[allow(clippy::disallowed_methods)] // the one place a write transaction starts
    async fn store_write(&self) -> Result<Tx, StoreError> {
        self.store.write().await
    }

    async fn run_after_commit(&self, hooks: Vec<AfterCommit>) {
        for hook in hooks {
            match hook {
                AfterCommit::RefreshVolunteer(id) => {
                    self.orders().refresh_match_entry_after_write(id).await;
                    self.stats().refresh_resident(id).await;
                }
                AfterCommit::RefreshResident(id) => self.stats().refresh_resident(id).await,
                AfterCommit::RefreshProject(id) => self.stats().refresh_project(id).await,
                AfterCommit::RefreshOrderVolunteers(id) => self.orders().refresh_order_volunteers(id).await,
                AfterCommit::ForgetCallers => self.auth().forget_callers(),
            }
        }
    }
}

impl Work {
    fn new(tx: Tx, audited: bool) -> Work {
        Work {
            tx,
            audited,
            entries: 0,
            notices: Vec::new(),
            after: Vec::new(),
            stats: Vec::new(),
        }
    }

    /// Excuses this change from its audit entry: what it writes is bookkeeping (see
    /// [`Bookkeeping`]) though it began as a change.
    pub(crate) fn excuse(&mut self, why: Bookkeeping) {
        tracing::trace!(?why, "unaudited write in a change");
        self.audited = false;
    }

    /// Records an audit entry in this change.
    pub(crate) async fn audit(&mut self, entry: NewAudit) -> AppResult<i64> {
        let id = audit::append(&mut self.tx, &entry).await?;
        self.entries += 1;
        Ok(id)
    }

    /// Sends a notice when the change commits.
    pub(crate) fn notify(
        &mut self,
        to: Recipient,
        region: &str,
        kind: NoticeKind,
        text: impl Into<String>,
        order_id: Option<i64>,
    ) {
        self.notices.push(PendingNotice {
            to,
            region: region.to_owned(),
            kind,
            text: text.into(),
            order_id,
        });
    }

    /// Runs a hook once the change is committed (each distinct hook once).
    pub(crate) fn after_commit(&mut self, hook: AfterCommit) {
        if !self.after.contains(&hook) {
            self.after.push(hook);
        }
    }

    /// Changes the statistics figures when the change commits (see [`crate::stats::upkeep`]).
    pub(crate) fn stats_delta(&mut self, d: zhiyuan_domain::stats::index::Delta) {
        self.stats.push(d);
    }

    /// Writes the notices and commits, then runs the after-commit hooks. A change that
    /// recorded no audit entry is rolled back and refused.
    pub(crate) async fn commit(mut self, app: &App) -> AppResult<()> {
        if self.audited && self.entries == 0 {
            // dropping the transaction rolls it back
            return Err(AppError::Internal(
                "a change was about to be committed without an audit entry".into(),
            ));
        }
        for n in std::mem::take(&mut self.notices) {
            notices::notify(&mut self.tx, &n.to, &n.region, n.kind, &n.text, n.order_id).await?;
        }
        let after = std::mem::take(&mut self.after);
        let stats = std::mem::take(&mut self.stats);
        self.tx.commit().await.map_err(StoreError::from)?;
        if !stats.is_empty() {
            app.stats.apply(&stats);
        }
        app.run_after_commit(after).await;
        Ok(())
    }

    /// How many notices are waiting for the commit (for tests).
    #[cfg(test)]
    pub(crate) fn pending_notices(&self) -> usize {
        self.notices.len()
    }
}

impl Deref for Work {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl DerefMut for Work {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhiyuan_domain::audit::AuditAction;

    async fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&crate::Settings::sqlite_in(dir.path())).await.unwrap();
        (dir, app)
    }

    async fn audit_count(app: &App) -> i64 {
        let mut c = app.conn().await.unwrap();
        zhiyuan_store::audit::count(&mut c).await.unwrap()
    }

    fn entry() -> NewAudit {
        NewAudit {
            actor_id: None,
            actor_name: "测试".into(),
            action: AuditAction::SiteCreate,
            entity_id: "1".into(),
            region_code: Some("110105".into()),
            org_path: None,
            before: None,
            after: None,
        }
    }

    #[tokio::test]
    async fn a_change_without_an_audit_entry_is_refused_and_rolled_back() {
        let (_dir, app) = app().await;
        let mut w = app.begin().await.unwrap();
        w.notify(
            Recipient::Site(1),
            "110105",
            NoticeKind::Submitted,
            "新点单",
            None,
        );
        assert_eq!(w.pending_notices(), 1);
        let err = w.commit(&app).await.unwrap_err();
        assert!(matches!(err, AppError::Internal(_)), "{err:?}");
        let mut c = app.conn().await.unwrap();
        let n = notices::count(&mut c).await.unwrap();
        assert_eq!(n, 0, "the notice of a refused change is never written");
    }

    #[tokio::test]
    async fn an_audited_change_commits_its_entry_and_notices() {
        let (_dir, app) = app().await;
        let before = audit_count(&app).await;
        let mut w = app.begin().await.unwrap();
        w.audit(entry()).await.unwrap();
        w.notify(
            Recipient::Region("110105".into()),
            "110105",
            NoticeKind::Overdue,
            "超时",
            None,
        );
        w.commit(&app).await.unwrap();
        assert_eq!(audit_count(&app).await, before + 1);
        let mut c = app.conn().await.unwrap();
        let scope = notices::NoticeScope {
            region_prefix: Some("1101".into()),
            ..Default::default()
        };
        let (rows, unread) = notices::notices_for(&mut c, &scope, 10).await.unwrap();
        assert_eq!((rows.len(), unread), (1, 1));
        assert_eq!(rows[0].kind, "overdue");
    }

    #[tokio::test]
    async fn a_dropped_change_leaves_nothing() {
        let (_dir, app) = app().await;
        let before = audit_count(&app).await;
        {
            let mut w = app.begin().await.unwrap();
            w.audit(entry()).await.unwrap();
        }
        assert_eq!(audit_count(&app).await, before);
    }

    #[tokio::test]
    async fn bookkeeping_commits_without_an_entry() {
        let (_dir, app) = app().await;
        let w = app.bookkeeping(Bookkeeping::Session).await.unwrap();
        w.commit(&app).await.unwrap();
    }
}
