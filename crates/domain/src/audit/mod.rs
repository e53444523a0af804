//! What the audit log records: every kind of write, with the entity it concerns and its
//! Chinese name. A write that is not one of these cannot be recorded, so the audit page can
//! name and filter every entry.

/// What an audit entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Volunteer,
    Membership,
    Site,
    Organization,
    Account,
    Project,
    SignUp,
    ServiceRecord,
    Certificate,
    Order,
    MenuItem,
    PhoneCode,
    Export,
    Event,
    Import,
}

string_enum!(Entity {
    Volunteer => "volunteer",
    Membership => "membership",
    Site => "site",
    Organization => "organization",
    Account => "account",
    Project => "project",
    SignUp => "sign_up",
    ServiceRecord => "service_record",
    Certificate => "certificate",
    Order => "order",
    MenuItem => "menu_item",
    PhoneCode => "phone_code",
    Export => "export",
    Event => "event",
    Import => "import",
});

impl Entity {
    /// The Chinese name shown on the audit page.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Volunteer => "志愿者",
            Entity::Membership => "入队申请",
            Entity::Site => "阵地",
            Entity::Organization => "组织/队伍",
            Entity::Account => "账号",
            Entity::Project => "项目",
            Entity::SignUp => "报名",
            Entity::ServiceRecord => "服务记录",
            Entity::Certificate => "证明",
            Entity::Order => "点单",
            Entity::MenuItem => "服务菜单项",
            Entity::PhoneCode => "点单验证码",
            Entity::Export => "数据导出",
            Entity::Event => "活动统计",
            Entity::Import => "数据导入",
        }
    }
}

/// Every kind of write the audit log records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AuditAction {
    VolunteerRegister,
    VolunteerUpdate,
    VolunteerClose,
    MembershipRequest,
    MembershipApprove,
    MembershipDecline,
    SiteCreate,
    SiteUpdate,
    OrgCreate,
    OrgUpdate,
    OrgMove,
    OrgDissolve,
    AccountCreate,
    AccountDisable,
    AccountEnable,
    AccountPasswordReset,
    AccountRoleChange,
    AccountPasswordChange,
    AccountOpenVolunteer,
    ProjectCreate,
    ProjectUpdate,
    ProjectStatus,
    ShiftCreate,
    ShiftUpdate,
    SignUpCreate,
    SignUpApprove,
    SignUpDecline,
    SignUpPromote,
    SignUpCancel,
    CheckIn,
    CheckOut,
    CheckOutUndo,
    RecordEnter,
    RecordDeclare,
    RecordConfirm,
    RecordReject,
    RecordCorrect,
    CertificateIssue,
    OrderSubmit,
    OrderDispatch,
    OrderReject,
    OrderCancel,
    OrderAccept,
    OrderDecline,
    OrderComplete,
    OrderRate,
    OrderEscalate,
    MenuCustomize,
    MenuAdd,
    MenuUpdate,
    PhoneCodeIssue,
    DataExport,
    DataImport,
    EventCreate,
    EventTally,
}

string_enum!(AuditAction {
    VolunteerRegister => "volunteer.register",
    VolunteerUpdate => "volunteer.update",
    VolunteerClose => "volunteer.close",
    MembershipRequest => "membership.request",
    MembershipApprove => "membership.approve",
    MembershipDecline => "membership.decline",
    SiteCreate => "site.create",
    SiteUpdate => "site.update",
    OrgCreate => "org.create",
    OrgUpdate => "org.update",
    OrgMove => "org.move",
    OrgDissolve => "org.dissolve",
    AccountCreate => "account.create",
    AccountDisable => "account.disable",
    AccountEnable => "account.enable",
    AccountPasswordReset => "account.password_reset",
    AccountRoleChange => "account.role_change",
    AccountPasswordChange => "account.password_change",
    AccountOpenVolunteer => "account.open_volunteer",
    ProjectCreate => "project.create",
    ProjectUpdate => "project.update",
    ProjectStatus => "project.status",
    ShiftCreate => "shift.create",
    ShiftUpdate => "shift.update",
    SignUpCreate => "sign_up.create",
    SignUpApprove => "sign_up.approve",
    SignUpDecline => "sign_up.decline",
    SignUpPromote => "sign_up.promote",
    SignUpCancel => "sign_up.cancel",
    CheckIn => "attendance.check_in",
    CheckOut => "attendance.check_out",
    CheckOutUndo => "attendance.check_out_undo",
    RecordEnter => "record.enter",
    RecordDeclare => "record.declare",
    RecordConfirm => "record.confirm",
    RecordReject => "record.reject",
    RecordCorrect => "record.correct",
    CertificateIssue => "certificate.issue",
    OrderSubmit => "order.submit",
    OrderDispatch => "order.dispatch",
    OrderReject => "order.reject",
    OrderCancel => "order.cancel",
    OrderAccept => "order.accept",
    OrderDecline => "order.decline",
    OrderComplete => "order.complete",
    OrderRate => "order.rate",
    OrderEscalate => "order.escalate",
    MenuCustomize => "menu.customize",
    MenuAdd => "menu.add",
    MenuUpdate => "menu.update",
    PhoneCodeIssue => "phone_code.issue",
    DataExport => "export.xlsx",
    DataImport => "import.file",
    EventCreate => "event.create",
    EventTally => "event.tally",
});

impl AuditAction {
    /// The entity an entry of this action is about (its `entity_id` names one of these).
    pub fn entity(self) -> Entity {
        use AuditAction::*;
        match self {
            VolunteerRegister | VolunteerUpdate | VolunteerClose => Entity::Volunteer,
            MembershipRequest | MembershipApprove | MembershipDecline => Entity::Membership,
            SiteCreate | SiteUpdate | MenuCustomize => Entity::Site,
            OrgCreate | OrgUpdate | OrgMove | OrgDissolve => Entity::Organization,
            AccountCreate
            | AccountDisable
            | AccountEnable
            | AccountPasswordReset
            | AccountRoleChange
            | AccountPasswordChange
            | AccountOpenVolunteer => Entity::Account,
            // a shift is recorded against its project
            ProjectCreate | ProjectUpdate | ProjectStatus | ShiftCreate | ShiftUpdate => Entity::Project,
            SignUpCreate | SignUpApprove | SignUpDecline | SignUpPromote | SignUpCancel | CheckIn
            | CheckOut | CheckOutUndo => Entity::SignUp,
            RecordEnter | RecordDeclare | RecordConfirm | RecordReject | RecordCorrect => {
                Entity::ServiceRecord
            }
            CertificateIssue => Entity::Certificate,
            OrderSubmit | OrderDispatch | OrderReject | OrderCancel | OrderAccept | OrderDecline
            | OrderComplete | OrderRate | OrderEscalate => Entity::Order,
            MenuAdd | MenuUpdate => Entity::MenuItem,
            PhoneCodeIssue => Entity::PhoneCode,
            DataExport => Entity::Export,
            DataImport => Entity::Import,
            EventCreate | EventTally => Entity::Event,
        }
    }

    /// The Chinese name shown on the audit page and in its filter.
    pub fn label(self) -> &'static str {
        use AuditAction::*;
        match self {
            VolunteerRegister => "登记志愿者",
            VolunteerUpdate => "修改志愿者信息",
            VolunteerClose => "注销志愿者",
            MembershipRequest => "申请加入队伍",
            MembershipApprove => "批准入队",
            MembershipDecline => "拒绝入队",
            SiteCreate => "新建阵地",
            SiteUpdate => "修改阵地信息",
            OrgCreate => "新建组织/队伍",
            OrgUpdate => "修改组织/队伍信息",
            OrgMove => "调整上级组织",
            OrgDissolve => "解散组织/队伍",
            AccountCreate => "新建账号",
            AccountDisable => "停用账号",
            AccountEnable => "启用账号",
            AccountPasswordReset => "重置密码",
            AccountRoleChange => "调整角色",
            AccountPasswordChange => "修改密码",
            AccountOpenVolunteer => "为志愿者开通账号",
            ProjectCreate => "发布项目",
            ProjectStatus => "变更项目状态",
            ShiftCreate => "新增班次",
            ShiftUpdate => "修改班次",
            ProjectUpdate => "修改项目信息",
            SignUpCreate => "报名",
            SignUpApprove => "批准报名",
            SignUpDecline => "拒绝报名",
            SignUpPromote => "候补转正",
            SignUpCancel => "取消报名",
            CheckIn => "签到",
            CheckOut => "签退",
            CheckOutUndo => "撤销签退",
            RecordEnter => "录入服务记录",
            RecordDeclare => "申报服务时长",
            RecordConfirm => "确认服务记录",
            RecordReject => "驳回服务记录",
            RecordCorrect => "更正服务记录",
            CertificateIssue => "开具志愿服务证明",
            OrderSubmit => "居民点单",
            OrderDispatch => "派单",
            OrderReject => "驳回点单",
            OrderCancel => "取消点单",
            OrderAccept => "接单",
            OrderDecline => "谢绝派单",
            OrderComplete => "完成点单服务",
            OrderRate => "评单",
            OrderEscalate => "点单超时上报",
            MenuCustomize => "定制服务菜单",
            MenuAdd => "新增服务菜单项",
            MenuUpdate => "修改服务菜单项",
            PhoneCodeIssue => "发送点单验证码",
            DataExport => "导出 Excel",
            DataImport => "导入文件",
            EventCreate => "新建活动统计",
            EventTally => "填报活动日报数",
        }
    }

    /// The actions about one entity, in declaration order.
    pub fn of(entity: Entity) -> impl Iterator<Item = AuditAction> {
        AuditAction::ALL.into_iter().filter(move |a| a.entity() == entity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        for e in Entity::ALL {
            assert_eq!(Entity::parse(e.as_str()), Some(e));
        }
        assert_eq!(AuditAction::parse("order.unknown"), None);
    }

    #[test]
    fn every_action_has_its_own_label() {
        let labels: HashSet<_> = AuditAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(labels.len(), AuditAction::ALL.len());
        assert!(!labels.contains("其他操作"));
    }

    #[test]
    fn every_entity_has_an_action() {
        for e in Entity::ALL {
            assert!(AuditAction::of(e).next().is_some(), "{e} has no action");
        }
        assert_eq!(AuditAction::of(Entity::Project).count(), 5);
    }
}
