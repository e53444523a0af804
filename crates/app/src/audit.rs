//! Reading the audit log, within the reader's scope.

use serde::Serialize;
use utoipa::ToSchema;
use zhiyuan_store::audit::{self, AuditFilter, AuditRow};
use zhiyuan_store::{Page, PageRequest};

use crate::access::Caller;
use crate::error::AppResult;
use crate::{show_time, App};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub entity_type: String,
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// What an action is called in Chinese.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "volunteer.register" => "登记志愿者",
        "membership.request" => "申请加入队伍",
        "membership.approve" => "批准入队",
        "membership.decline" => "拒绝入队",
        "site.create" => "新建阵地",
        "org.create" => "新建组织/队伍",
        "account.create" => "新建账号",
        "order.submit" => "居民点单",
        "order.dispatch" => "派单",
        "order.reject" => "驳回点单",
        "order.cancel" => "取消点单",
        "order.accept" => "接单",
        "order.decline" => "谢绝派单",
        "order.complete" => "完成点单服务",
        "order.rate" => "评单",
        "order.escalate" => "点单超时上报",
        "menu.customize" | "menu.add" | "menu.update" => "编辑服务菜单",
        "phone_code.issue" => "发送点单验证码",
        _ => "其他操作",
    }
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditView {
            id: r.id,
            at: show_time(r.at),
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action_label: action_label(&r.action).to_owned(),
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
        }
    }
}

impl App {
    pub async fn audit_log(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> AppResult<Page<AuditView>> {
        caller.require_admin()?;
        let scope = caller.audit_scope()?;
        let mut conn = self.conn().await?;
        let p = audit::list(&mut conn, &scope, filter, page).await?;
        Ok(Page {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        })
    }
}
