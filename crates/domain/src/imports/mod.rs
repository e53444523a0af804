//! Importing the spreadsheets offices already keep (花名册, 服务时长统计表, team lists,
//! tallies): what each kind of file holds ([`ImportKind`], [`Field`]), how its header row is
//! found and its columns mapped ([`header`]), how cells typed by hand are read ([`cells`]) and
//! how a row is checked ([`rows`]). Pure rules: the readers of .xlsx/.xls/.csv bytes and the
//! writes live in the application layer.

pub mod cells;
pub mod header;
pub mod rows;

/// A row of text cells as a reader gives them (`""` an empty cell), for tests.
#[cfg(test)]
pub(crate) fn text_row(cells: &[&str]) -> Vec<cells::Raw> {
    cells
        .iter()
        .map(|c| {
            if c.is_empty() {
                cells::Raw::Empty
            } else {
                cells::Raw::Text((*c).to_owned())
            }
        })
        .collect()
}

use crate::error::ResidentIdError;
use crate::DomainError;

/// How offices head a name column.
const NAME: &[&str] = &["姓名", "名字", "真实姓名", "志愿者姓名", "志愿者"];
/// How offices head a resident ID column.
const RESIDENT_ID: &[&str] = &[
    "身份证号",
    "身份证号码",
    "身份证",
    "证件号码",
    "证件号",
    "公民身份号码",
    "身份证件号码",
];
/// How offices head a service category column.
const CATEGORIES: &[&str] = &["服务类别", "志愿服务类别", "服务意向", "服务领域", "类别"];

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// 志愿者花名册: real-name registrations.
    Volunteers,
    /// Teams and organizations, with parent, site and region.
    Teams,
    /// 服务时长: service records, entered as team entries.
    Records,
    /// An event's daily tallies per post.
    Tallies,
}

string_enum!(ImportKind {
    Volunteers => "volunteers",
    Teams => "teams",
    Records => "records",
    Tallies => "tallies",
});

impl ImportKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Volunteers => "志愿者",
            Self::Teams => "队伍和组织",
            Self::Records => "服务记录",
            Self::Tallies => "活动统计",
        }
    }

    /// The fields a file of this kind may have, each with the headers offices write for it
    /// (after [`header::label_key`]: no spaces, no notes in brackets).
    pub fn fields(self) -> &'static [(Field, &'static [&'static str])] {
        use Field::*;
        match self {
            Self::Volunteers => &[
                (Name, NAME),
                (ResidentId, RESIDENT_ID),
                (
                    Phone,
                    &[
                        "手机",
                        "手机号",
                        "手机号码",
                        "联系电话",
                        "联系方式",
                        "电话",
                        "电话号码",
                        "移动电话",
                    ],
                ),
                (Gender, &["性别"]),
                (BirthDate, &["出生日期", "出生年月", "生日", "出生年月日"]),
                (
                    Region,
                    &[
                        "居住地",
                        "居住社区",
                        "所在社区",
                        "社区",
                        "所在街道",
                        "居住地区",
                        "现居住地",
                    ],
                ),
                (Skills, &["技能", "特长", "专业特长", "个人特长", "技能特长"]),
                (Categories, CATEGORIES),
            ],
            Self::Teams => &[
                (
                    TeamName,
                    &[
                        "队伍名称",
                        "团队名称",
                        "组织名称",
                        "服务队名称",
                        "名称",
                        "队伍",
                        "服务队",
                    ],
                ),
                (
                    Parent,
                    &["上级组织", "上级队伍", "所属组织", "上级单位", "主管单位"],
                ),
                (
                    Site,
                    &["所属阵地", "实践所", "实践站", "所属实践所", "所属实践站", "阵地"],
                ),
                (
                    Region,
                    &[
                        "所在地区",
                        "行政区划",
                        "区域",
                        "所在区域",
                        "所在街道",
                        "所在社区",
                        "区划代码",
                    ],
                ),
                (Contact, &["负责人", "联系人", "队长"]),
                (
                    ContactPhone,
                    &["联系电话", "负责人电话", "联系方式", "手机", "手机号", "电话"],
                ),
            ],
            Self::Records => &[
                (
                    ResidentId,
                    &[
                        "身份证号",
                        "身份证号码",
                        "身份证",
                        "证件号码",
                        "证件号",
                        "公民身份号码",
                    ],
                ),
                (VolunteerNo, &["志愿者编号", "志愿者编码", "编号", "志愿者号"]),
                (Name, NAME),
                (
                    Activity,
                    &["活动名称", "项目名称", "服务项目", "活动", "活动主题", "服务活动"],
                ),
                (
                    ServiceDate,
                    &["服务日期", "活动日期", "日期", "服务时间", "活动时间"],
                ),
                (Place, &["服务地点", "活动地点", "地点"]),
                (Content, &["服务内容", "活动内容", "工作内容", "内容"]),
                (
                    Hours,
                    &[
                        "服务时长",
                        "志愿服务时长",
                        "时长",
                        "服务小时数",
                        "小时数",
                        "服务时数",
                        "时数",
                        "工时",
                    ],
                ),
                (
                    Team,
                    &[
                        "组织单位",
                        "服务队",
                        "队伍",
                        "所属队伍",
                        "组织方",
                        "主办单位",
                        "服务队伍",
                    ],
                ),
                (PersonInCharge, &["负责人", "活动负责人", "证明人"]),
                (RowKey, &["记录编号", "流水号", "记录号"]),
                (Categories, CATEGORIES),
            ],
            Self::Tallies => &[
                (
                    Post,
                    &["岗位", "点位", "执勤点", "站点", "服务点", "服务岗", "岗位名称"],
                ),
                (ServiceDate, &["日期", "服务日期", "执勤日期"]),
                (
                    Guides,
                    &["上岗人数", "志愿者人数", "在岗人数", "引导员人数", "人数"],
                ),
                (Hours, &["服务时长", "时长", "总时长"]),
            ],
        }
    }

    /// The fields a mapping must include (of each inner list, at least one).
    pub fn required(self) -> &'static [&'static [Field]] {
        use Field::*;
        match self {
            Self::Volunteers => &[&[Name], &[ResidentId], &[Phone]],
            Self::Teams => &[&[TeamName]],
            Self::Records => &[&[ResidentId, VolunteerNo], &[Activity], &[ServiceDate], &[Hours]],
            Self::Tallies => &[&[Post], &[ServiceDate]],
        }
    }
}

/// A column's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    ResidentId,
    Phone,
    Gender,
    BirthDate,
    Region,
    Skills,
    Categories,
    TeamName,
    Parent,
    Site,
    Contact,
    ContactPhone,
    VolunteerNo,
    Activity,
    ServiceDate,
    Place,
    Content,
    Hours,
    Team,
    PersonInCharge,
    RowKey,
    Post,
    Guides,
}

string_enum!(Field {
    Name => "name",
    ResidentId => "resident_id",
    Phone => "phone",
    Gender => "gender",
    BirthDate => "birth_date",
    Region => "region",
    Skills => "skills",
    Categories => "categories",
    TeamName => "team_name",
    Parent => "parent",
    Site => "site",
    Contact => "contact",
    ContactPhone => "contact_phone",
    VolunteerNo => "volunteer_no",
    Activity => "activity",
    ServiceDate => "service_date",
    Place => "place",
    Content => "content",
    Hours => "hours",
    Team => "team",
    PersonInCharge => "person_in_charge",
    RowKey => "row_key",
    Post => "post",
    Guides => "guides",
});

impl Field {
    /// The field's name on the mapping screen.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::ResidentId => "身份证号",
            Self::Phone => "手机号",
            Self::Gender => "性别",
            Self::BirthDate => "出生日期",
            Self::Region => "居住地/所在地区",
            Self::Skills => "技能",
            Self::Categories => "服务类别",
            Self::TeamName => "队伍名称",
            Self::Parent => "上级组织",
            Self::Site => "所属阵地",
            Self::Contact => "负责人",
            Self::ContactPhone => "联系电话",
            Self::VolunteerNo => "志愿者编号",
            Self::Activity => "活动名称",
            Self::ServiceDate => "日期",
            Self::Place => "服务地点",
            Self::Content => "服务内容",
            Self::Hours => "服务时长",
            Self::Team => "组织队伍",
            Self::PersonInCharge => "负责人",
            Self::RowKey => "记录编号",
            Self::Post => "岗位",
            Self::Guides => "上岗人数",
        }
    }
}

/// Why one cell (or row) is refused: a stable code and the Chinese reason shown beside it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CellError {
    pub code: &'static str,
    pub message: String,
}

impl CellError {
    pub fn new(code: &'static str, message: impl Into<String>) -> CellError {
        CellError {
            code,
            message: message.into(),
        }
    }

    /// A required cell left blank.
    pub fn required() -> CellError {
        CellError::new("required", "必填项为空")
    }

    /// A resident ID that Excel stored as a number (`shown` as it now reads).
    pub fn id_as_number(shown: &str) -> CellError {
        CellError::new(
            "resident_id_as_number",
            format!(
                "身份证号被 Excel 存成了数字（现为 {shown}）：Excel 只保留 15 位有效数字，末几位已经丢失，无法还原。\
                 请把该列设置为“文本”格式，重新填写完整的身份证号码后再导入"
            ),
        )
    }
}

impl From<DomainError> for CellError {
    fn from(e: DomainError) -> CellError {
        let code = match &e {
            DomainError::ResidentId(r) => match r {
                ResidentIdError::Length => "resident_id_length",
                ResidentIdError::Characters => "resident_id_characters",
                ResidentIdError::Region => "resident_id_region",
                ResidentIdError::BirthDate => "resident_id_birth_date",
                ResidentIdError::FutureBirthDate => "resident_id_future_birth_date",
                ResidentIdError::TooOld => "resident_id_too_old",
                ResidentIdError::Checksum => "resident_id_checksum",
            },
            other => other.code(),
        };
        CellError::new(code, e.to_string())
    }
}
