//! A small world for API tests: Beijing (朝阳 and 海淀) and, outside the city, 天津; sites,
//! teams, volunteers and one login per role, all made through the real use cases.

#![allow(dead_code)]

use serde_json::json;
use zhiyuan_domain::auth::Role;
use zhiyuan_store::network::regions::RegionRow;

use super::app::{new_resident_id, TestApp};

pub const PW: &str = "test12345";

pub struct World {
    pub city: String,
    pub tianjin: String,
    pub chaoyang: String,
    pub haidian: String,
    pub jw_site_admin: String,
    pub team_a_admin: String,
    pub volunteer: String,
    pub resident: String,
    /// sites
    pub cy_center: i64,
    pub jw: i64,
    pub hd_center: i64,
    pub hd1: i64,
    /// organizations
    pub team_a: i64,
    pub team_a1: i64,
    pub team_b: i64,
    pub team_t: i64,
    /// volunteers
    pub v_a: i64,
    pub v_b: i64,
    pub v_t: i64,
    /// the self-registered volunteer behind `volunteer`
    pub v_self: i64,
    pub v_self_id: String,
}

async fn region(t: &TestApp, code: &str, name: &str, level: &str, parent: Option<&str>) {
    let mut tx = t.app.store.write().await.unwrap();
    zhiyuan_store::network::regions::insert(
        &mut tx,
        &RegionRow {
            code: code.into(),
            name: name.into(),
            level: level.into(),
            parent_code: parent.map(Into::into),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn account(
    t: &TestApp,
    user: &str,
    role: Role,
    region: Option<&str>,
    site: Option<i64>,
    org: Option<i64>,
) -> String {
    t.app
        .auth()
        .create_account_unchecked(user, PW, user, role, region, site, org, None)
        .await
        .unwrap();
    t.login(user, PW).await
}

pub async fn created(t: &TestApp, path: &str, token: &str, body: serde_json::Value) -> i64 {
    let r = t.post(path, Some(token), body.clone()).await;
    assert_eq!(r.status, 201, "POST {path} {body}: {}", r.body);
    r.body["id"].as_i64().unwrap()
}

pub fn volunteer_body(name: &str, region: &str, team: Option<i64>) -> serde_json::Value {
    json!({
        "name": name, "resident_id": new_resident_id(&region[..6]), "phone": "13912345678",
        "region_code": region, "skills": ["急救"], "categories": ["敬老助残"],
        "availability": "工作日 18-21；周末 9-17", "team_id": team,
    })
}

pub async fn build(t: &TestApp) -> World {
    region(t, "120000000000", "天津市", "province", None).await;
    region(t, "120101000000", "和平区", "county", Some("120000000000")).await;
    region(t, "120101001000", "劝业场街道", "township", Some("120101000000")).await;
    region(t, "110105001001", "建外测试社区", "village", Some("110105001000")).await;
    region(t, "110108001001", "海淀测试社区", "village", Some("110108001000")).await;

    let city = account(t, "city", Role::CityAdmin, Some("11"), None, None).await;
    let tianjin = account(t, "tianjin", Role::CityAdmin, Some("12"), None, None).await;
    let chaoyang = account(t, "chaoyang", Role::DistrictAdmin, Some("110105"), None, None).await;
    let haidian = account(t, "haidian", Role::DistrictAdmin, Some("110108"), None, None).await;

    let site = |name: &str, level: &str, region: &str, parent: Option<i64>| json!({"name": name, "level": level, "region_code": region, "parent_id": parent, "address": "测试地址"});
    let cy_center = created(
        t,
        "/api/v1/sites",
        &city,
        site("朝阳区新时代文明实践中心", "center", "110105000000", None),
    )
    .await;
    let jw = created(
        t,
        "/api/v1/sites",
        &chaoyang,
        site(
            "建外街道新时代文明实践所",
            "institute",
            "110105001000",
            Some(cy_center),
        ),
    )
    .await;
    let hd_center = created(
        t,
        "/api/v1/sites",
        &city,
        site("海淀区新时代文明实践中心", "center", "110108000000", None),
    )
    .await;
    let hd1 = created(
        t,
        "/api/v1/sites",
        &haidian,
        site(
            "海淀街道新时代文明实践所",
            "institute",
            "110108001000",
            Some(hd_center),
        ),
    )
    .await;

    let org = |name: &str, parent: Option<i64>, site: Option<i64>, region: Option<&str>| json!({"name": name, "kind": "team", "parent_id": parent, "site_id": site, "region_code": region});
    let team_a = created(
        t,
        "/api/v1/organizations",
        &chaoyang,
        org("建外邻里守望志愿服务队", None, Some(jw), None),
    )
    .await;
    let team_a1 = created(
        t,
        "/api/v1/organizations",
        &chaoyang,
        org("建外青年突击队", Some(team_a), None, None),
    )
    .await;
    let team_b = created(
        t,
        "/api/v1/organizations",
        &haidian,
        org("海淀科普志愿服务队", None, Some(hd1), None),
    )
    .await;
    let team_t = created(
        t,
        "/api/v1/organizations",
        &tianjin,
        org("劝业场志愿服务队", None, None, Some("120101001000")),
    )
    .await;

    let jw_site_admin = account(t, "jwsite", Role::SiteAdmin, None, Some(jw), None).await;
    let team_a_admin = account(t, "teama", Role::TeamAdmin, None, None, Some(team_a)).await;
    let resident = account(t, "resident", Role::Resident, None, None, None).await;

    let v_a = created(
        t,
        "/api/v1/volunteers",
        &team_a_admin,
        volunteer_body("王建国", "110105001000", Some(team_a)),
    )
    .await;
    let v_b = created(
        t,
        "/api/v1/volunteers",
        &haidian,
        volunteer_body("李海燕", "110108001000", Some(team_b)),
    )
    .await;
    let v_t = created(
        t,
        "/api/v1/volunteers",
        &tianjin,
        volunteer_body("赵津生", "120101001000", Some(team_t)),
    )
    .await;

    let v_self_id = new_resident_id("110105");
    let r = t
        .post(
            "/api/v1/register",
            None,
            json!({"name": "陈志愿", "resident_id": v_self_id, "phone": "13700000001", "region_code": "110105001000",
                   "password": PW, "categories": ["education"]}),
        )
        .await;
    assert_eq!(r.status, 201, "self registration: {}", r.body);
    let volunteer = r.body["token"].as_str().unwrap().to_owned();
    let v_self = r.body["volunteer"]["id"].as_i64().unwrap();

    World {
        city,
        tianjin,
        chaoyang,
        haidian,
        jw_site_admin,
        team_a_admin,
        volunteer,
        resident,
        cy_center,
        jw,
        hd_center,
        hd1,
        team_a,
        team_a1,
        team_b,
        team_t,
        v_a,
        v_b,
        v_t,
        v_self,
        v_self_id,
    }
}

/// An order the resident placed at 建外 (`PLACE`), starting in 3 hours, dispatched by the 建外
/// site to the self-registered volunteer, who accepted it.
pub struct AcceptedOrder {
    pub id: i64,
    pub offer: i64,
}

pub const PLACE: &str = "110105001001";

pub async fn accepted_order(t: &TestApp, w: &World) -> AcceptedOrder {
    let menu = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = menu.body["items"][0]["id"].as_i64().unwrap();
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let o = t
        .post(
            "/api/v1/orders",
            Some(&w.resident),
            json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼", "lat": 39.9087,
                "lon": 116.45, "window_start": at(3), "window_end": at(5), "people": 1,
                "contact_name": "张大妈", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let id = o.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let offer = r.body["offers"][0]["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/order-offers/{offer}/accept"),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    AcceptedOrder { id, offer }
}
