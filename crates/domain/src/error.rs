//! The one error type of the domain crate.

/// Why a resident ID (身份证号码) was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters long (15-digit first-generation IDs are not supported).
    #[error("身份证号码应为 18 位（不支持 15 位旧身份证号码）")]
    Length,
    /// The first 17 characters are not all digits, or the last is neither a digit nor X.
    #[error("身份证号码格式不正确：前 17 位应为数字，最后一位应为数字或 X")]
    Characters,
    /// The first six digits are not a plausible administrative division code.
    #[error("身份证号码前 6 位地区码不正确")]
    Region,
    /// Digits 7–14 are not a calendar date.
    #[error("身份证号码中的出生日期不存在")]
    BirthDate,
    /// The birth date lies after today.
    #[error("身份证号码中的出生日期晚于今天")]
    FutureBirthDate,
    /// The birth date is more than 150 years ago.
    #[error("身份证号码中的出生日期过早（超过 150 年）")]
    TooOld,
    /// The check character does not match the first 17 digits.
    #[error("身份证号码校验位错误")]
    Checksum,
}

impl ResidentIdError {
    /// A stable English name of the specific reason, for logs and tests.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::Characters => "characters",
            Self::Region => "region",
            Self::BirthDate => "birth_date",
            Self::FutureBirthDate => "future_birth_date",
            Self::TooOld => "too_old",
            Self::Checksum => "checksum",
        }
    }
}

/// Every way domain input can be invalid. `Display` is the Chinese message for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// An invalid resident ID, with the specific reason.
    #[error(transparent)]
    ResidentId(#[from] ResidentIdError),
    /// Not a mainland mobile number.
    #[error("手机号码格式不正确，请填写 11 位中国大陆手机号码")]
    Phone,
    /// Not an acceptable personal name.
    #[error("姓名格式不正确：应为 2 到 30 个字，只能包含文字、间隔号“·”和单个空格")]
    Name,
    /// Not a 12-digit statistical division code.
    #[error("行政区划代码不正确，应为 12 位数字")]
    RegionCode,
    /// Service availability text or encoding that cannot be read; carries the detail.
    #[error("服务时间格式不正确：{0}")]
    Availability(String),
    /// Skills list that cannot be accepted; carries the detail.
    #[error("技能填写不正确：{0}")]
    Skills(String),
    /// An unknown service category; carries the offending text.
    #[error("未知的服务类别：{0}")]
    ServiceCategory(String),
    /// A geographic position out of range.
    #[error("位置坐标不正确")]
    Location,
    /// Not a valid volunteer number.
    #[error("志愿者编号不正确")]
    VolunteerNo,
    /// Served minutes outside 1..=1440.
    #[error("服务时长须大于0且不超过24小时")]
    Minutes,
    /// A shift that ends before it starts or lasts more than 24 hours.
    #[error("结束时间须晚于开始时间，且一个班次不超过24小时")]
    ShiftTime,
    /// A recruitment headcount outside 1..=10000.
    #[error("招募人数须在1到10000之间")]
    Headcount,
    /// A minimum age outside 0..=100.
    #[error("最低年龄须在0到100岁之间")]
    MinAge,
    /// A state change the entity's state machine does not allow; `from` and `to` are the
    /// Chinese labels of the states, `entity` the snake_case name of the entity ("project",
    /// "sign_up").
    #[error("当前状态（{from}）不能变为{to}")]
    Transition {
        entity: &'static str,
        from: &'static str,
        to: &'static str,
    },
    /// A check-in QR token that is forged, malformed or expired.
    #[error("签到二维码无效或已过期，请重新扫码")]
    QrToken,
    /// A check-in farther from the service place than the allowed radius.
    #[error("您当前位置距服务地点约{distance_m}米，超出签到范围{radius_m}米")]
    OutOfRadius { distance_m: u32, radius_m: u32 },
    /// An order action its state machine does not allow now; both Chinese.
    #[error("订单当前状态（{from}）不能{action}")]
    OrderState {
        from: &'static str,
        action: &'static str,
    },
    /// A second rating of the same order.
    #[error("该订单已评价，不能重复评价")]
    AlreadyRated,
    /// A service window that ends before it starts or lasts more than seven days.
    #[error("服务结束时间须晚于开始时间，且一次服务不超过7天")]
    OrderWindow,
    /// A service window that has started already or starts more than 180 days ahead.
    #[error("服务开始时间不能早于现在，也不能晚于180天以后")]
    OrderWindowPast,
    /// How many people are wanted, outside 1..=50.
    #[error("需要人数须在1到50人之间")]
    OrderPeople,
    /// A rating outside 1..=5.
    #[error("评分须为1到5星")]
    Rating,
}

impl DomainError {
    /// Stable English snake_case code, used in API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ResidentId(_) => "resident_id_invalid",
            Self::Phone => "phone_invalid",
            Self::Name => "name_invalid",
            Self::RegionCode => "region_code_invalid",
            Self::Availability(_) => "availability_invalid",
            Self::Skills(_) => "skills_invalid",
            Self::ServiceCategory(_) => "service_category_invalid",
            Self::Location => "location_invalid",
            Self::VolunteerNo => "volunteer_no_invalid",
            Self::Minutes => "minutes_invalid",
            Self::ShiftTime => "shift_time_invalid",
            Self::Headcount => "headcount_invalid",
            Self::MinAge => "min_age_invalid",
            Self::Transition { .. } => "state_invalid",
            Self::QrToken => "qr_token_invalid",
            Self::OutOfRadius { .. } => "out_of_radius",
            Self::OrderState { .. } => "order_state_invalid",
            Self::AlreadyRated => "order_already_rated",
            Self::OrderWindow => "order_window_invalid",
            Self::OrderWindowPast => "order_window_past",
            Self::OrderPeople => "order_people_invalid",
            Self::Rating => "rating_invalid",
        }
    }

    /// The form field the error concerns.
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            Self::ResidentId(_) => "resident_id",
            Self::Phone => "phone",
            Self::Name => "name",
            Self::RegionCode => "region_code",
            Self::Availability(_) => "availability",
            Self::Skills(_) => "skills",
            Self::ServiceCategory(_) => "categories",
            Self::Location => "location",
            Self::VolunteerNo => "volunteer_no",
            Self::Minutes => "minutes",
            Self::ShiftTime => "shift",
            Self::Headcount => "headcount",
            Self::MinAge => "min_age",
            Self::Transition { .. } => "status",
            Self::QrToken => "token",
            Self::OutOfRadius { .. } => "location",
            Self::OrderState { .. } | Self::AlreadyRated => "status",
            Self::OrderWindow | Self::OrderWindowPast => "window",
            Self::OrderPeople => "people",
            Self::Rating => "rating",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<DomainError> {
        vec![
            DomainError::ResidentId(ResidentIdError::Checksum),
            DomainError::Phone,
            DomainError::Name,
            DomainError::RegionCode,
            DomainError::Availability("x".into()),
            DomainError::Skills("x".into()),
            DomainError::ServiceCategory("x".into()),
            DomainError::Location,
            DomainError::VolunteerNo,
            DomainError::Minutes,
            DomainError::ShiftTime,
            DomainError::Headcount,
            DomainError::MinAge,
            DomainError::Transition {
                entity: "project",
                from: "招募中",
                to: "已结束",
            },
            DomainError::QrToken,
            DomainError::OutOfRadius {
                distance_m: 1234,
                radius_m: 500,
            },
            DomainError::OrderState {
                from: "已完成",
                action: "派单",
            },
            DomainError::AlreadyRated,
            DomainError::OrderWindow,
            DomainError::OrderWindowPast,
            DomainError::OrderPeople,
            DomainError::Rating,
        ]
    }

    #[test]
    fn codes_are_distinct_snake_case() {
        let codes: Vec<_> = all().iter().map(DomainError::code).collect();
        let mut dedup = codes.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), codes.len());
        for c in codes {
            assert!(c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'), "{c}");
            assert!(
                c.ends_with("_invalid")
                    || ["out_of_radius", "order_already_rated", "order_window_past"].contains(&c),
                "{c}"
            );
        }
    }

    #[test]
    fn every_error_names_a_field() {
        let fields: Vec<_> = all().iter().map(|e| e.field().unwrap()).collect();
        assert_eq!(
            fields,
            [
                "resident_id",
                "phone",
                "name",
                "region_code",
                "availability",
                "skills",
                "categories",
                "location",
                "volunteer_no",
                "minutes",
                "shift",
                "headcount",
                "min_age",
                "status",
                "token",
                "location",
                "status",
                "status",
                "window",
                "window",
                "people",
                "rating",
            ]
        );
    }

    #[test]
    fn messages_are_chinese() {
        let is_cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
        for e in all() {
            assert!(e.to_string().chars().any(is_cjk), "{e}");
        }
        let all_reasons = [
            ResidentIdError::Length,
            ResidentIdError::Characters,
            ResidentIdError::Region,
            ResidentIdError::BirthDate,
            ResidentIdError::FutureBirthDate,
            ResidentIdError::TooOld,
            ResidentIdError::Checksum,
        ];
        for r in all_reasons {
            assert!(r.to_string().chars().any(is_cjk));
            assert_eq!(DomainError::from(r).code(), "resident_id_invalid");
            assert!(!r.reason().is_empty());
        }
    }

    #[test]
    fn new_messages() {
        assert_eq!(DomainError::Minutes.to_string(), "服务时长须大于0且不超过24小时");
        assert_eq!(
            DomainError::Transition {
                entity: "project",
                from: "招募中",
                to: "已结束"
            }
            .to_string(),
            "当前状态（招募中）不能变为已结束"
        );
        assert_eq!(
            DomainError::OutOfRadius {
                distance_m: 1234,
                radius_m: 500
            }
            .to_string(),
            "您当前位置距服务地点约1234米，超出签到范围500米"
        );
        assert_eq!(
            DomainError::QrToken.to_string(),
            "签到二维码无效或已过期，请重新扫码"
        );
        assert!(DomainError::Headcount.to_string().contains("10000"));
    }

    #[test]
    fn resident_id_display_is_the_reason() {
        let e = DomainError::from(ResidentIdError::Checksum);
        assert_eq!(e.to_string(), "身份证号码校验位错误");
        assert_eq!(
            DomainError::ServiceCategory("跳舞".into()).to_string(),
            "未知的服务类别：跳舞"
        );
        assert!(DomainError::from(ResidentIdError::Length)
            .to_string()
            .contains("15 位"));
    }
}
