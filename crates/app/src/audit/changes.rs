//! An audit entry's before and after, as a person reads them: the object's name, and a table
//! of Chinese field names with the old and the new value, only the fields that changed.
//!
//! The snapshots are the views the use cases returned, as JSON. A field `x` shown beside an
//! `x_label` (a state, a category) is shown by its label; ids, ISO twins of shown times and
//! other bookkeeping fields are left out.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use zhiyuan_domain::audit::Entity;
use zhiyuan_domain::auth::{MembershipStatus, OrgKind, Role, SiteLevel};
use zhiyuan_domain::orders::{AssigneeKind, OrderStatus};
use zhiyuan_domain::people::Gender;
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};
use zhiyuan_domain::service::RecordStatus;
use zhiyuan_domain::tags::category_by_code;

/// The Chinese label of a state or kind written as its code in a snapshot of `entity`.
fn code_label(entity: Option<Entity>, key: &str, code: &str) -> Option<&'static str> {
    match (entity?, key) {
        (Entity::Order, "status") => OrderStatus::parse(code).map(OrderStatus::label_zh),
        (Entity::Order, "target" | "assignee_kind") => AssigneeKind::parse(code).map(AssigneeKind::label_zh),
        (Entity::Order, "kind") => Some(match code {
            "volunteer" => "志愿者",
            "team" => "志愿服务队",
            "site" => "实践阵地",
            _ => return None,
        }),
        (Entity::Project, "status") => ProjectStatus::parse(code).map(ProjectStatus::label_zh),
        (Entity::SignUp, "status") => SignUpStatus::parse(code).map(SignUpStatus::label_zh),
        (Entity::ServiceRecord, "status") => RecordStatus::parse(code).map(RecordStatus::label_zh),
        (Entity::Membership, "status") => MembershipStatus::parse(code).map(MembershipStatus::label_zh),
        (Entity::Site, "level") => SiteLevel::parse(code).map(SiteLevel::label_zh),
        (Entity::Organization, "kind") => OrgKind::parse(code).map(OrgKind::label_zh),
        (Entity::Account, "role") => Role::parse(code).map(Role::label_zh),
        (Entity::Volunteer, "gender") => Gender::parse(code).map(Gender::label_zh),
        _ => None,
    }
}

/// One field of an audit entry's snapshot that a write set or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldChange {
    /// The snapshot's field (`status`, `region_code` …).
    pub key: String,
    /// The field's Chinese name.
    pub label: String,
    /// The value before, as shown; none when the entry has no before (a creation) or lacked it.
    pub before: Option<String>,
    /// The value after, as shown; none when the entry has no after (a deletion) or lacks it.
    pub after: Option<String>,
}

/// The snapshot fields shown, with their Chinese names, in the order a table shows them.
const FIELDS: &[(&str, &str)] = &[
    ("name", "名称"),
    ("title", "标题"),
    ("status", "状态"),
    ("category", "服务类别"),
    ("description", "介绍"),
    ("address", "地址"),
    ("opening_hours", "开放时间"),
    ("parent_name", "上级组织"),
    ("dissolved_at", "解散时间"),
    ("members_left", "退出的成员"),
    ("requests_declined", "拒绝的入队申请"),
    ("lat", "纬度"),
    ("lon", "经度"),
    ("region_code", "所在地区"),
    ("region_name", "所在地区"),
    ("level", "层级"),
    ("kind", "类型"),
    ("site_name", "所属阵地"),
    ("organization_name", "组织单位"),
    ("organizer_name", "组织单位"),
    ("member_count", "成员人数"),
    ("phone", "手机号码"),
    ("phone_masked", "手机号码"),
    ("contact", "联系人"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("person_in_charge", "负责人"),
    ("risk_notes", "风险提示"),
    ("checkin_radius_m", "签到范围（米）"),
    ("auto_approve", "报名自动通过"),
    ("shifts", "班次"),
    ("starts_at", "开始时间"),
    ("ends_at", "结束时间"),
    ("headcount", "招募人数"),
    ("min_age", "最低年龄"),
    ("required_skills", "技能要求"),
    ("approved", "已通过人数"),
    ("waitlisted", "候补人数"),
    ("project_title", "项目"),
    ("signed_up_at", "报名时间"),
    ("decided_at", "处理时间"),
    ("checkin_at", "签到时间"),
    ("checkout_at", "签退时间"),
    ("checkin_method", "签到方式"),
    ("checkout_method", "签退方式"),
    ("volunteer_name", "志愿者"),
    ("volunteer_no", "志愿者编号"),
    ("resident_id_masked", "证件号码"),
    ("id_masked", "证件号码"),
    ("id_type", "证件类型"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("birth_year", "出生年份"),
    ("skills", "技能"),
    ("categories", "服务意向"),
    ("availability", "可服务时间"),
    ("registered_at", "注册时间"),
    ("has_account", "平台账号"),
    ("star_level", "星级"),
    ("total_hours", "累计时长（小时）"),
    ("total_minutes", "累计时长（分钟）"),
    ("service_date", "服务日期"),
    ("minutes", "服务时长（分钟）"),
    ("hours", "服务时长（小时）"),
    ("source", "来源"),
    ("source_name", "来源"),
    ("note", "备注"),
    ("notes", "备注"),
    ("reason", "原因"),
    ("reject_reason", "驳回原因"),
    ("cancel_reason", "取消原因"),
    ("supersedes", "更正的记录"),
    ("certificate_no", "证明编号"),
    ("issued_on", "出具日期"),
    ("issued_at", "出具日期"),
    ("issuing_unit", "出具单位"),
    ("period_from", "起始日期"),
    ("period_to", "截止日期"),
    ("record_count", "记录条数"),
    ("item_name", "服务项目"),
    ("window_start", "服务开始"),
    ("window_end", "服务结束"),
    ("window_text", "服务时间"),
    ("people", "需要人数"),
    ("assignee_kind", "派单对象"),
    ("target_name", "派给"),
    ("offers", "派单"),
    ("round", "派单轮次"),
    ("submitted_at", "点单时间"),
    ("dispatched_at", "派单时间"),
    ("accepted_at", "接单时间"),
    ("completed_at", "完成时间"),
    ("report", "服务情况"),
    ("served_minutes", "服务时长（分钟）"),
    ("rating", "评分"),
    ("rating_comment", "评价"),
    ("comment", "评价"),
    ("rated_at", "评价时间"),
    ("username", "用户名"),
    ("display_name", "姓名"),
    ("role", "角色"),
    ("scope_region", "管理地区"),
    ("place", "管理范围"),
    ("active", "启用"),
    ("text", "内容"),
    ("body", "正文"),
    ("deadline", "截止时间"),
    ("created_at", "创建时间"),
    ("public_name", "光荣榜显示全名"),
    ("item", "服务项目"),
    ("by", "接单方"),
    ("target", "派单对象"),
    ("released", "释放的名额"),
    ("records", "服务记录"),
    ("filter", "筛选条件"),
    ("row_count", "导出行数"),
    ("metrics", "统计指标"),
    ("posts", "点位"),
    ("version", "版本"),
    ("guides", "在岗人数"),
    ("values", "填报数"),
];

/// The Chinese name of a snapshot field; `None` for a field not shown.
pub fn field_label(key: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

fn field_rank(key: &str) -> usize {
    FIELDS.iter().position(|(k, _)| *k == key).unwrap_or(usize::MAX)
}

/// The name of the object an entry is about, from its snapshots (the after first).
pub fn entity_name(before: Option<&Value>, after: Option<&Value>) -> Option<String> {
    for v in [after, before].into_iter().flatten() {
        for key in [
            "title",
            "name",
            "item_name",
            "item",
            "volunteer_name",
            "project_title",
            "display_name",
        ] {
            if let Some(s) = v
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
            {
                return Some(s.to_owned());
            }
        }
    }
    None
}

/// A value as shown: text as is, yes/no in Chinese, lists joined, a list of objects counted.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "是".to_owned(),
        Value::Bool(false) => "否".to_owned(),
        // coordinates and other fractions: at most 6 decimals
        Value::Number(n) if n.is_f64() => {
            let t = format!("{:.6}", n.as_f64().unwrap_or_default());
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(shown).collect::<Vec<_>>().join("、")
        }
        Value::Array(items) => format!("{} 项", items.len()),
        Value::Object(map) => entity_name(None, Some(v)).unwrap_or_else(|| format!("{} 项", map.len())),
    }
}

/// The value of `key` in a snapshot of `entity` as shown, its label preferred (`status` by
/// `status_label`, or a state's code by the state's Chinese name).
fn value_of(entity: Option<Entity>, snapshot: &Value, key: &str) -> Option<String> {
    let v = snapshot.get(key)?;
    let label = snapshot
        .get(format!("{key}_label"))
        .filter(|l| l.as_str().is_some_and(|s| !s.is_empty()));
    if let Some(l) = label {
        return Some(shown(l));
    }
    if let Some(l) = v.as_str().and_then(|code| code_label(entity, key, code)) {
        return Some(l.to_owned());
    }
    // service categories are stored as codes, comma-separated
    if key == "categories" || key == "category" {
        if let Some(codes) = v.as_str() {
            let labels: Vec<&str> = codes
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| category_by_code(c).map_or(c, |cat| cat.label))
                .collect();
            return Some(if labels.is_empty() {
                "—".to_owned()
            } else {
                labels.join("、")
            });
        }
    }
    // skills are stored comma-separated
    if key == "skills" {
        if let Some(s) = v.as_str() {
            return Some(if s.is_empty() {
                "—".to_owned()
            } else {
                s.replace(',', "、")
            });
        }
    }
    Some(shown(v))
}

/// The fields an entry set (a creation), removed (a deletion) or changed (an update), in the
/// order of the snapshot, by their Chinese names. An update shows the fields its after names
/// (a write snapshots what it changed; a field only in the before was not written). A snapshot
/// that is not an object (a scalar note) is shown as one row.
pub fn changes(entity: Option<Entity>, before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut keys: Vec<&str> = Vec::new();
    let written = after.or(before);
    for v in [before, after].into_iter().flatten() {
        if let Value::Object(map) = v {
            for k in map.keys() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
        }
    }
    keys.sort_by_key(|k| field_rank(k));
    let mut out = Vec::new();
    if keys.is_empty() {
        let (b, a) = (before.map(shown), after.map(shown));
        if (b.is_some() || a.is_some()) && b != a {
            out.push(FieldChange {
                key: String::new(),
                label: "内容".to_owned(),
                before: b,
                after: a,
            });
        }
        return out;
    }
    for key in keys {
        let Some(label) = field_label(key) else {
            continue;
        };
        // two fields of one meaning (`phone` and `phone_masked`, `region_code` and
        // `region_name`): one row, the first
        if out.iter().any(|c: &FieldChange| c.label == label) {
            continue;
        }
        if written.and_then(|w| w.get(key)).is_none() {
            continue;
        }
        let b = before.and_then(|v| value_of(entity, v, key));
        let a = after.and_then(|v| value_of(entity, v, key));
        // a field absent and a field empty read the same: "—"
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|x| x == "—");
        let changed = match (before.is_some(), after.is_some()) {
            (true, true) => b != a && !(blank(&b) && blank(&a)),
            _ => !(blank(&b) && blank(&a)),
        };
        if changed {
            out.push(FieldChange {
                key: key.to_owned(),
                label: label.to_owned(),
                before: b,
                after: a,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_only_what_changed_by_its_chinese_name_and_label() {
        let before = json!({"id": 5, "title": "助老陪伴", "status": "recruiting", "status_label": "招募中", "headcount": 10});
        let after = json!({"id": 5, "title": "助老陪伴", "status": "closed", "status_label": "已结项", "headcount": 10});
        assert_eq!(
            changes(Some(Entity::Project), Some(&before), Some(&after)),
            vec![FieldChange {
                key: "status".into(),
                label: "状态".into(),
                before: Some("招募中".into()),
                after: Some("已结项".into())
            }]
        );
        assert_eq!(
            entity_name(Some(&before), Some(&after)).as_deref(),
            Some("助老陪伴")
        );
    }

    #[test]
    fn a_creation_shows_every_named_field_and_leaves_out_bookkeeping() {
        let after = json!({"id": 7, "name": "建外邻里守望", "auto_approve": false, "skills": ["急救", "摄影"],
            "shifts": [{"id": 1}, {"id": 2}], "path": "/1/7/", "status_label": "招募中"});
        let rows = changes(Some(Entity::Project), None, Some(&after));
        let shown: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.label.as_str(), r.after.as_deref().unwrap()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("名称", "建外邻里守望"),
                ("报名自动通过", "否"),
                ("班次", "2 项"),
                ("技能", "急救、摄影")
            ]
        );
        assert!(rows.iter().all(|r| r.before.is_none()));
    }

    #[test]
    fn a_state_code_is_shown_by_its_name_and_a_field_not_written_is_left_out() {
        let before = json!({"status": "dispatched", "site_id": 2, "round": 1});
        let after = json!({"status": "accepted", "kind": "volunteer", "by": "陈志愿"});
        let rows = changes(Some(Entity::Order), Some(&before), Some(&after));
        let shown: Vec<(&str, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| (r.label.as_str(), r.before.as_deref(), r.after.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("状态", Some("已派单"), Some("已接单")),
                ("类型", None, Some("志愿者")),
                ("接单方", None, Some("陈志愿")),
            ]
        );
    }

    #[test]
    fn a_scalar_snapshot_is_one_row() {
        let rows = changes(None, None, Some(&json!("撤销原因：时间填错")));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].after.as_deref(), Some("撤销原因：时间填错"));
    }
}
