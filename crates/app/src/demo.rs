//! Demo data: a living Beijing for a newcomer. The 17 practice centers (16 districts and the
//! economic-technological development area), an institute for every township, generated
//! communities with stations, a few hundred teams and a few thousand volunteers with valid
//! generated resident IDs and Chinese names, plus one login for every role.

use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::synth::Synth;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::network::orgs::{self, NewOrg};
use zhiyuan_store::network::regions::{self, RegionRow};
use zhiyuan_store::network::sites::{self, NewSite};

use crate::access::Caller;
use crate::error::{AppError, AppResult};
use crate::{today, App};

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct DemoSize {
    pub communities_per_township: u32,
    pub volunteers: u32,
}

impl DemoSize {
    pub const FULL: DemoSize = DemoSize {
        communities_per_township: 3,
        volunteers: 3000,
    };
    pub const SMALL: DemoSize = DemoSize {
        communities_per_township: 1,
        volunteers: 60,
    };
}

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "demo12345";

/// One demo login per role: (username, role, what it can do).
pub const DEMO_LOGINS: &[(&str, &str, &str)] = &[
    ("admin", "市级管理员", "全市"),
    ("chaoyang", "区级管理员", "朝阳区"),
    ("jianwai", "阵地管理员", "朝阳区建外街道新时代文明实践所"),
    ("team", "队伍管理员", "建外街道的一支志愿服务队"),
    ("volunteer", "志愿者", "一名注册志愿者"),
    ("resident", "居民", "一名居民"),
];

/// Approximate centres of Beijing's districts (for demo home locations).
const DISTRICT_CENTRES: &[(&str, f64, f64)] = &[
    ("110101", 39.9288, 116.4160),
    ("110102", 39.9123, 116.3660),
    ("110105", 39.9215, 116.4430),
    ("110106", 39.8585, 116.2870),
    ("110107", 39.9056, 116.2230),
    ("110108", 39.9593, 116.2980),
    ("110109", 39.9405, 116.1020),
    ("110111", 39.7355, 116.1430),
    ("110112", 39.9095, 116.6570),
    ("110113", 40.1300, 116.6540),
    ("110114", 40.2207, 116.2310),
    ("110115", 39.7270, 116.3410),
    ("110116", 40.3163, 116.6320),
    ("110117", 40.1406, 117.1210),
    ("110118", 40.3770, 116.8430),
    ("110119", 40.4565, 115.9750),
];

const COMMUNITY_ROOTS: &[&str] = &[
    "东里", "西里", "南里", "北里", "花园", "新村", "家园", "嘉园", "苑", "东区", "西区", "北街", "南街",
    "园区", "二里", "三里", "华庭", "雅苑",
];

/// The economic-technological development area: a special zone at township level that has a
/// practice center of its own.
pub const ETDZ_CODE: &str = "110115403000";

/// An audit entry of the demo data's own making.
fn demo_entry(action: AuditAction, entity_id: i64) -> NewAudit {
    NewAudit {
        actor_id: None,
        actor_name: "演示数据".into(),
        action,
        entity_id: entity_id.to_string(),
        region_code: None,
        org_path: None,
        before: None,
        after: None,
    }
}

impl App {
    /// Whether the demo data (and its `volunteer` login) is loaded.
    pub async fn demo_loaded(&self) -> AppResult<bool> {
        let mut conn = self.conn().await?;
        Ok(zhiyuan_store::auth::accounts::by_username(&mut conn, "volunteer")
            .await?
            .is_some())
    }

    /// Loads demo data into a database that has no sites yet; returns false (and does
    /// nothing) when there is data already.
    pub async fn load_demo(&self, size: DemoSize) -> AppResult<bool> {
        let mut conn = self.conn().await?;
        if sites::count(&mut conn, "center").await? > 0 {
            return Ok(false);
        }
        let all: Vec<RegionRow> = regions::by_levels(&mut conn, &["county", "township"]).await?;
        drop(conn);
        let mut rng = Synth::new(20261122);
        let mut details = Synth::new(20261207);
        let today = today();
        let mut tx = self.begin().await?;

        // Centers: one per district and one for the development area.
        let mut centers = Vec::new();
        for r in all.iter().filter(|r| r.level == "county" || r.code == ETDZ_CODE) {
            let id = insert_site(
                &mut tx,
                &mut details,
                &format!("{}新时代文明实践中心", r.name),
                "center",
                &r.code,
                None,
            )
            .await?;
            centers.push((id, r.clone()));
        }
        // Institutes for every township; communities with stations below them; teams.
        let mut team_ids: Vec<(i64, String, String)> = Vec::new(); // (id, region, path)
        let mut homes: Vec<String> = Vec::new();
        for (center_id, county) in centers.iter().filter(|(_, r)| r.level == "county") {
            let district_org = insert_org(
                &mut tx,
                &format!("{}志愿者联合会", county.name),
                "organization",
                None,
                "",
                Some(*center_id),
                &county.code,
            )
            .await?;
            for town in all
                .iter()
                .filter(|t| t.level == "township" && t.parent_code.as_deref() == Some(&county.code))
            {
                if town.code == ETDZ_CODE {
                    continue;
                }
                let inst = insert_site(
                    &mut tx,
                    &mut details,
                    &format!("{}新时代文明实践所", town.name),
                    "institute",
                    &town.code,
                    Some(*center_id),
                )
                .await?;
                homes.push(town.code.clone());
                let short: String = town
                    .name
                    .trim_end_matches("街道")
                    .trim_end_matches("地区")
                    .trim_end_matches("镇")
                    .trim_end_matches("乡")
                    .chars()
                    .take(3)
                    .collect();
                let mut named = std::collections::HashSet::new();
                for k in 1..=size.communities_per_township {
                    let code = format!("{}{:03}", &town.code[..9], k);
                    let root = format!("{}{}", short, rng.pick(COMMUNITY_ROOTS));
                    let name = community_name(&root, k, &named);
                    named.insert(name.clone());
                    regions::insert(
                        &mut tx,
                        &RegionRow {
                            code: code.clone(),
                            name: name.clone(),
                            level: "village".into(),
                            parent_code: Some(town.code.clone()),
                        },
                    )
                    .await?;
                    insert_site(
                        &mut tx,
                        &mut details,
                        &format!("{name}新时代文明实践站"),
                        "station",
                        &code,
                        Some(inst),
                    )
                    .await?;
                    homes.push(code);
                }
                // a township team under the district organization, sometimes with a sub-team
                let team_name = rng.team_name(&short);
                let (tid, tpath) = insert_org(
                    &mut tx,
                    &team_name,
                    "team",
                    Some(district_org.0),
                    &district_org.1,
                    Some(inst),
                    &town.code,
                )
                .await?;
                team_ids.push((tid, town.code.clone(), tpath.clone()));
                if rng.chance(0.25) {
                    let sub = format!("{}青年突击队", short);
                    let (sid, spath) =
                        insert_org(&mut tx, &sub, "team", Some(tid), &tpath, Some(inst), &town.code).await?;
                    team_ids.push((sid, town.code.clone(), spath));
                }
            }
        }

        // Volunteers, most of them members of a team near home.
        let mut first_in_jianwai: Option<i64> = None;
        let mut first_name = String::from("志愿者");
        // One in twenty lives in 建外, near the demo orders, so that the 建外 office (the demo's
        // dispatcher) has volunteers of its own to be suggested.
        let jianwai_homes: Vec<String> = homes
            .iter()
            .filter(|h| h.starts_with("110105001"))
            .cloned()
            .collect();
        for i in 0..size.volunteers {
            let in_jianwai = !jianwai_homes.is_empty() && i % 20 == 1;
            let home = if in_jianwai {
                rng.pick(&jianwai_homes).clone()
            } else {
                rng.pick(&homes).clone()
            };
            let p = rng.person(&home[..6], today);
            let (lat0, lon0) = DISTRICT_CENTRES
                .iter()
                .find(|d| d.0 == &home[..6])
                .map(|d| (d.1, d.2))
                .unwrap_or((39.9042, 116.4074));
            let (lat, lon) = if in_jianwai {
                rng.point_near(39.9087, 116.4500, 2.0)
            } else {
                rng.point_near(lat0, lon0, 6.0)
            };
            let team = team_ids
                .iter()
                .find(|t| home.starts_with(&t.1[..9]))
                .filter(|_| rng.chance(0.7));
            let team_row = match team {
                Some((tid, _, _)) => orgs::get(&mut tx, *tid).await?,
                None => None,
            };
            let checked = crate::people::demo_checked(&p, &home, (lat, lon));
            let vid = self
                .people()
                .insert_volunteer_demo(&mut tx, &checked, team_row.as_ref())
                .await?;
            if i == 0 || (first_in_jianwai.is_none() && home.starts_with("110105001")) {
                first_in_jianwai = Some(vid);
                first_name = p.name.as_str().to_owned();
            }
        }
        tx.commit(self).await?;

        // One login per role.
        let mut conn = self.conn().await?;
        let jianwai_site = sites::list(
            &mut conn,
            &sites::SiteFilter {
                region_prefix: Some("110105001".into()),
                level: Some(zhiyuan_domain::auth::SiteLevel::Institute),
                ..Default::default()
            },
            zhiyuan_store::PageRequest::new(None, Some(1)),
        )
        .await?;
        let jianwai_site = jianwai_site
            .items
            .first()
            .map(|s| s.id)
            .ok_or_else(|| AppError::Internal("demo: no 建外 institute".into()))?;
        let team = orgs::list(
            &mut conn,
            &orgs::OrgFilter {
                region_prefix: Some("110105001".into()),
                ..Default::default()
            },
            zhiyuan_store::PageRequest::new(None, Some(50)),
        )
        .await?;
        let team = team
            .items
            .iter()
            .find(|o| o.kind == "team")
            .map(|o| o.id)
            .ok_or_else(|| AppError::Internal("demo: no team".into()))?;
        drop(conn);
        let admin_id = self
            .auth()
            .create_account_unchecked(
                "admin",
                DEMO_PASSWORD,
                "张文明",
                Role::CityAdmin,
                Some("11"),
                None,
                None,
                None,
            )
            .await?;
        self.auth()
            .create_account_unchecked(
                "chaoyang",
                DEMO_PASSWORD,
                "李朝晖",
                Role::DistrictAdmin,
                Some("110105"),
                None,
                None,
                None,
            )
            .await?;
        self.auth()
            .create_account_unchecked(
                "jianwai",
                DEMO_PASSWORD,
                "王建新",
                Role::SiteAdmin,
                None,
                Some(jianwai_site),
                None,
                None,
            )
            .await?;
        self.auth()
            .create_account_unchecked(
                "team",
                DEMO_PASSWORD,
                "赵志强",
                Role::TeamAdmin,
                None,
                None,
                Some(team),
                None,
            )
            .await?;
        self.auth()
            .create_account_unchecked(
                "volunteer",
                DEMO_PASSWORD,
                &first_name,
                Role::Volunteer,
                None,
                None,
                None,
                first_in_jianwai,
            )
            .await?;
        self.auth()
            .create_account_unchecked(
                "resident",
                DEMO_PASSWORD,
                "刘桂兰",
                Role::Resident,
                None,
                None,
                None,
                None,
            )
            .await?;
        let admin = Caller {
            account_id: admin_id,
            username: "admin".into(),
            display_name: "张文明".into(),
            role: Role::CityAdmin,
            scope: crate::Scope::Region { prefix: "11".into() },
            volunteer_id: None,
        };
        self.demo_projects(&admin, team, first_in_jianwai, &mut rng)
            .await?;
        self.demo_orders(team, first_in_jianwai).await?;
        self.orders().rebuild_match_index().await?;
        Ok(true)
    }

    /// Projects for the first teams: one recruiting with two coming shifts, one finished with
    /// its members' hours entered by the team; the demo volunteer joins the demo team and has
    /// confirmed hours of their own.
    async fn demo_projects(
        &self,
        admin: &Caller,
        demo_team: i64,
        volunteer: Option<i64>,
        rng: &mut Synth,
    ) -> AppResult<()> {
        use crate::service::projects::{ProjectInput, ShiftInput};
        use crate::service::records::{TeamEntry, TeamEntryLine};
        use zhiyuan_domain::tags::SERVICE_CATEGORIES;
        const THEMES: &[(&str, &str)] = &[
            ("elderly_disabled", "敬老助餐志愿服务"),
            ("environment", "垃圾分类桶前值守"),
            ("education", "四点半课堂作业辅导"),
            ("policy_outreach", "理论政策宣讲进社区"),
            ("medical", "义诊与健康咨询"),
            ("legal", "法律咨询进楼门"),
            ("public_safety", "平安巡逻"),
            ("culture", "社区文艺汇演"),
            ("science", "科普小课堂"),
            ("community", "楼门院治理议事"),
        ];
        if let Some(v) = volunteer {
            let mut tx = self.begin().await?;
            if zhiyuan_store::people::memberships::active(&mut tx, v, demo_team)
                .await?
                .is_none()
            {
                let id = zhiyuan_store::people::memberships::insert(
                    &mut tx,
                    v,
                    demo_team,
                    zhiyuan_domain::auth::MembershipStatus::Approved,
                    "演示数据",
                    None,
                )
                .await?;
                tx.audit(NewAudit {
                    after: Some(
                        serde_json::json!({"volunteer_id": v, "org_id": demo_team, "status": "approved"}),
                    ),
                    ..demo_entry(AuditAction::MembershipApprove, id)
                })
                .await?;
                tx.commit(self).await?;
            }
        }
        let mut conn = self.conn().await?;
        let mut teams: Vec<_> = orgs::list(
            &mut conn,
            &orgs::OrgFilter::default(),
            zhiyuan_store::PageRequest::new(None, Some(200)),
        )
        .await?
        .items
        .into_iter()
        .filter(|o| o.kind == "team")
        .collect();
        drop(conn);
        if !teams.iter().any(|t| t.id == demo_team) {
            teams.push(self.network().org_row(demo_team).await?);
        }
        // the demo team first, then a spread over the city
        teams.sort_by_key(|t| (t.id != demo_team, t.id % 5, t.id));
        teams.truncate(40);
        let today = today();
        for (i, t) in teams.iter().enumerate() {
            let (cat, theme) = THEMES[i % THEMES.len()];
            debug_assert!(SERVICE_CATEGORIES.iter().any(|c| c.code == cat));
            let (lat0, lon0) = DISTRICT_CENTRES
                .iter()
                .find(|d| d.0 == &t.region_code[..6])
                .map(|d| (d.1, d.2))
                .unwrap_or((39.9042, 116.4074));
            let (lat, lon) = rng.point_near(lat0, lon0, 3.0);
            let place = format!(
                "北京市{}{}",
                t.region_name,
                rng.pick(&["党群服务中心", "社区活动室", "文化广场", "新时代文明实践站"])
            );
            let person = rng.person(&t.region_code[..6], today).name.as_str().to_owned();
            let shift = |days: i64, from: u32, to: u32, n: i64| ShiftInput {
                starts_at: format!("{}T{from:02}:00", today + chrono::Duration::days(days)),
                ends_at: format!("{}T{to:02}:00", today + chrono::Duration::days(days)),
                headcount: n,
                required_skills: Vec::new(),
                min_age: if cat == "public_safety" { 18 } else { 0 },
            };
            let input = |title: String, shifts: Vec<ShiftInput>| ProjectInput {
                title,
                category: cat.into(),
                description: format!(
                    "{}，欢迎附近的志愿者报名参加。请准时签到签退，服务时长由队伍确认后记入个人记录。",
                    theme
                ),
                organization_id: t.id,
                address: place.clone(),
                lat: Some(lat),
                lon: Some(lon),
                checkin_radius_m: if i % 3 == 0 { 500 } else { 0 },
                person_in_charge: person.clone(),
                contact_phone: String::new(),
                risk_notes: "请注意交通安全，量力而行。".into(),
                auto_approve: i % 2 == 0,
                shifts,
                publish: true,
            };
            let days = (i % 6) as i64 + 1;
            self.service()
                .create_project(
                    admin,
                    &input(
                        format!("{}{}", t.region_name, theme),
                        vec![shift(days, 9, 11, 10), shift(days + 7, 14, 17, 8)],
                    ),
                )
                .await?;
            // a finished one with hours
            let members = self
                .people()
                .org_memberships(
                    admin,
                    t.id,
                    Some(zhiyuan_domain::auth::MembershipStatus::Approved),
                )
                .await?;
            if members.is_empty() {
                continue;
            }
            let past = self
                .service()
                .create_project(
                    admin,
                    &input(
                        format!("{}{}（已结束）", t.region_name, theme),
                        vec![shift(2, 9, 12, 20)],
                    ),
                )
                .await?;
            self.service()
                .set_project_status(admin, past.id, "running")
                .await?;
            self.service()
                .set_project_status(admin, past.id, "finished")
                .await?;
            for round in 0..3i64 {
                let date = today - chrono::Duration::days(7 + round * 11 + (i % 5) as i64);
                self.service()
                    .enter_records(
                        admin,
                        &TeamEntry {
                            organization_id: t.id,
                            project_id: Some(past.id),
                            activity: format!("{}{}", t.region_name, theme),
                            service_date: date.to_string(),
                            place: place.clone(),
                            content: theme.into(),
                            person_in_charge: person.clone(),
                            entries: members
                                .iter()
                                .map(|m| TeamEntryLine {
                                    volunteer_id: m.volunteer_id,
                                    minutes: 60 + rng.range(0, 240) as i64,
                                })
                                .collect(),
                            category: None,
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

impl App {
    /// The demo login's caller.
    async fn demo_caller(&self, username: &str) -> AppResult<Caller> {
        let mut conn = self.conn().await?;
        let a = zhiyuan_store::auth::accounts::by_username(&mut conn, username)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: no account {username}")))?;
        crate::auth::caller_of(&mut conn, &a).await
    }

    /// Residents' orders in 建外 in every state: waiting for dispatch, dispatched to the demo
    /// team, accepted by the demo volunteer, completed and rated, and rejected; the 建外
    /// institute keeps a menu of its own with one extra item.
    async fn demo_orders(&self, demo_team: i64, volunteer: Option<i64>) -> AppResult<()> {
        use crate::orders::{
            CompletionInput, DispatchInput, MenuItemInput, OrderInput, RatingInput, ServedLine,
        };
        let resident = self.demo_caller("resident").await?;
        let office = self.demo_caller("jianwai").await?;
        let vol = self.demo_caller("volunteer").await?;
        if let crate::Scope::Site { site_id, .. } = office.scope {
            self.orders()
                .add_menu_item(
                    &office,
                    site_id,
                    &MenuItemInput {
                        category: "elderly_disabled".into(),
                        name: "陪同就医".into(),
                        description: "陪同行动不便的老人到社区卫生服务中心就诊".into(),
                        skills: vec!["医疗护理".into()],
                        active: Some(true),
                        position: None,
                    },
                )
                .await?;
        }
        let place = "110105001001";
        let menu = self.orders().menu_for_region(place).await?;
        let item = |name: &str| {
            menu.items
                .iter()
                .find(|i| i.name == name)
                .map(|i| i.id)
                .unwrap_or(menu.items[0].id)
        };
        // in daytime, Beijing time, `d` days from today: when volunteers are free to be matched
        let day = |d: i64, h: u32| {
            let date = crate::today() + chrono::Duration::days(d);
            chrono::TimeZone::from_local_datetime(&crate::TZ, &date.and_hms_opt(h, 0, 0).unwrap_or_default())
                .single()
                .map(|t| t.to_rfc3339())
                .unwrap_or_default()
        };
        let order = |name: &str, d: i64, notes: &str| OrderInput {
            item_id: item(name),
            region_code: place.into(),
            address: "建外街道测试社区1号楼".into(),
            lat: Some(39.9087),
            lon: Some(116.4500),
            window_start: day(d, 9),
            window_end: day(d, 11),
            people: 1,
            notes: notes.into(),
            contact_name: "张大妈".into(),
            contact_phone: "13800138000".into(),
        };
        self.orders()
            .submit_order(&resident, &order("助老陪伴", 1, "老人独居，想找人聊聊天"))
            .await?;
        let o = self
            .orders()
            .submit_order(&resident, &order("法律咨询", 2, "咨询房屋租赁合同"))
            .await?;
        self.orders()
            .dispatch_order(
                &office,
                o.id,
                &DispatchInput {
                    target: "team".into(),
                    team_ids: vec![demo_team],
                    ..Default::default()
                },
            )
            .await?;
        let Some(v) = volunteer else { return Ok(()) };
        let (office_ref, vol_ref) = (&office, &vol);
        let to_volunteer = |oid: i64| async move {
            self.orders()
                .dispatch_order(
                    office_ref,
                    oid,
                    &DispatchInput {
                        target: "volunteers".into(),
                        volunteer_ids: vec![v],
                        ..Default::default()
                    },
                )
                .await?;
            let task = self
                .orders()
                .orders_for_me(vol_ref, &zhiyuan_store::seek::SeekRequest::first(200))
                .await?
                .items
                .into_iter()
                .find(|t| t.order.id == oid && t.open)
                .ok_or_else(|| AppError::Internal("demo: no offer".into()))?;
            self.orders().accept_offer(vol_ref, task.offer.id).await
        };
        let o = self
            .orders()
            .submit_order(&resident, &order("陪同就医", 1, "周三上午复诊"))
            .await?;
        to_volunteer(o.id).await?;
        let o = self
            .orders()
            .submit_order(&resident, &order("上门理发", 1, "老人卧床"))
            .await?;
        to_volunteer(o.id).await?;
        // it took place this morning (an order is completed only once its time has come)
        {
            let start = chrono::Utc::now().timestamp_millis() - 5 * 3_600_000;
            let mut tx = self.bookkeeping(crate::work::Bookkeeping::DemoHistory).await?;
            zhiyuan_store::orders::move_window(&mut tx, o.id, start, start + 2 * 3_600_000).await?;
            tx.commit(self).await?;
        }
        self.orders()
            .complete_order(
                &vol,
                o.id,
                &CompletionInput {
                    report: "上门为老人理发，并帮助整理房间".into(),
                    minutes: vec![ServedLine {
                        volunteer_id: v,
                        minutes: 90,
                    }],
                    by_number: Vec::new(),
                },
            )
            .await?;
        self.orders()
            .rate_order(
                &resident,
                o.id,
                &RatingInput {
                    rating: 5,
                    comment: "小伙子手艺好，很耐心".into(),
                },
            )
            .await?;
        let o = self
            .orders()
            .submit_order(&resident, &order("楼道清理", 3, "楼道堆放杂物"))
            .await?;
        self.orders()
            .reject_order(&office, o.id, "楼道杂物清理请联系物业，已转告社区居委会")
            .await?;
        Ok(())
    }
}

/// A community's name from its root (`左家庄三里`) that no community of the same street has yet:
/// `左家庄三里社区`, else with 东/西/南/北/中, else with its number.
fn community_name(root: &str, k: u32, named: &std::collections::HashSet<String>) -> String {
    ["", "东", "西", "南", "北", "中"]
        .iter()
        .map(|side| format!("{root}{side}社区"))
        .find(|n| !named.contains(n))
        .unwrap_or_else(|| format!("{root}{k}社区"))
}

/// Opens a demo site with the public details an office would fill in: an address in its
/// place, a landline, a contact person and opening hours by level. `details` is its own
/// generator, so the rest of the demo does not depend on how many draws these take.
async fn insert_site(
    tx: &mut crate::work::Work,
    details: &mut Synth,
    name: &str,
    level: &str,
    region: &str,
    parent: Option<i64>,
) -> AppResult<i64> {
    let (contact, phone) = details.site_contact();
    let (address, hours) = match level {
        "center" => (
            format!(
                "{}文化中心{}号楼",
                name.trim_end_matches("新时代文明实践中心"),
                details.range(1, 6)
            ),
            "周二至周日 9:00–17:00，周一闭馆",
        ),
        "institute" => (
            format!(
                "{}办事处{}层",
                name.trim_end_matches("新时代文明实践所"),
                details.range(1, 3)
            ),
            "周一至周五 8:30–17:30",
        ),
        _ => (
            format!("{}党群服务中心", name.trim_end_matches("新时代文明实践站")),
            "周一至周六 9:00–12:00、14:00–18:00",
        ),
    };
    let id = sites::insert(
        tx,
        &NewSite {
            name: name.into(),
            level: level.into(),
            region_code: region.into(),
            parent_id: parent,
            address,
            contact_phone: phone,
            contact_name: contact.as_str().to_owned(),
            opening_hours: hours.into(),
        },
    )
    .await?;
    tx.audit(NewAudit {
        region_code: Some(region.into()),
        after: Some(serde_json::json!({"name": name, "level": level})),
        ..demo_entry(AuditAction::SiteCreate, id)
    })
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_org(
    tx: &mut crate::work::Work,
    name: &str,
    kind: &str,
    parent: Option<i64>,
    parent_path: &str,
    site: Option<i64>,
    region: &str,
) -> AppResult<(i64, String)> {
    let (id, path) = orgs::insert(
        tx,
        &NewOrg {
            name: name.into(),
            kind: kind.into(),
            parent_id: parent,
            parent_path: parent_path.into(),
            site_id: site,
            region_code: region.into(),
            contact_name: String::new(),
            contact_phone: String::new(),
            description: String::new(),
        },
    )
    .await?;
    tx.audit(NewAudit {
        region_code: Some(region.into()),
        org_path: Some(path.clone()),
        after: Some(serde_json::json!({"name": name, "kind": kind})),
        ..demo_entry(AuditAction::OrgCreate, id)
    })
    .await?;
    Ok((id, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communities_of_one_street_never_share_a_name() {
        let mut named = std::collections::HashSet::new();
        let names: Vec<String> = (1..=8)
            .map(|k| {
                let n = community_name("左家庄三里", k, &named);
                named.insert(n.clone());
                n
            })
            .collect();
        assert_eq!(names[0], "左家庄三里社区");
        assert_eq!(names[1], "左家庄三里东社区");
        assert_eq!(names[6], "左家庄三里7社区");
        assert_eq!(named.len(), 8, "{names:?}");
    }
}
