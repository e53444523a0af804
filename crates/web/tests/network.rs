//! The network kept true to life: a site's address, phone, contact person and opening hours,
//! and an organization's details, its parent (调整上级) and its dissolution (解散), by the
//! offices that administer them, on the page and over the API; every problem is shown at once
//! beside its field and nothing typed is lost.

mod support;

use serde_json::json;
use support::app::{page_session, spawn_app, Db, TestApp};
use support::world;

async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_form(
    c: &reqwest::Client,
    t: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = c.post(t.url(path)).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn a_site_office_edits_its_sites_details_on_the_page(t: TestApp) {
    let w = world::build(&t).await;
    let office = page_session(&t, "jwsite").await;
    let (s, html) = page(&office, &t, &format!("/sites/{}", w.jw)).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"edit-site\""),
        "its office is offered 修改信息"
    );
    let (s, html) = page(&office, &t, &format!("/sites/{}/edit", w.jw)).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("value=\"测试地址\""),
        "the form shows what the site has: {html}"
    );

    // two problems at once, beside their fields, with what was typed kept
    let long_hours = "周一至周五".repeat(30);
    let (s, _, html) = post_form(
        &office,
        &t,
        &format!("/sites/{}/edit", w.jw),
        &[
            ("address", "建国门外大街甲1号"),
            ("contact_phone", "请拨打总机"),
            ("contact_name", "周小红"),
            ("opening_hours", long_hours.as_str()),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"error-contact_phone\""), "{html}");
    assert!(html.contains("id=\"error-opening_hours\""), "{html}");
    assert!(
        html.contains("value=\"建国门外大街甲1号\"") && html.contains("value=\"周小红\""),
        "input kept"
    );
    let (_, html) = page(&office, &t, &format!("/sites/{}", w.jw)).await;
    assert!(!html.contains("建国门外大街甲1号"), "nothing was written");

    let (s, location, _) = post_form(
        &office,
        &t,
        &format!("/sites/{}/edit", w.jw),
        &[
            ("address", "建国门外大街甲1号"),
            ("contact_phone", "010-65001234"),
            ("contact_name", "周小红"),
            ("opening_hours", "周一至周五 8:30–17:30"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(location, format!("/sites/{}?updated=1", w.jw));
    let (_, html) = page(&office, &t, &location).await;
    assert!(html.contains("阵地信息已保存"));
    assert!(html.contains("建国门外大街甲1号") && html.contains("010-65001234"));
    assert!(html.contains("周小红") && html.contains("周一至周五 8:30–17:30"));

    // the audit log says what changed, by its Chinese field names
    let (_, html) = page(&office, &t, "/audit?action=site.update").await;
    assert!(html.contains("修改阵地信息"), "{html}");
    assert!(
        html.contains("开放时间") && html.contains("测试地址"),
        "old and new values: {html}"
    );
}

async fn only_the_offices_over_a_site_may_edit_it(t: TestApp) {
    let w = world::build(&t).await;
    // the site's office may not edit the center above it
    let site_office = page_session(&t, "jwsite").await;
    let (_, html) = page(&site_office, &t, &format!("/sites/{}", w.cy_center)).await;
    assert!(!html.contains("id=\"edit-site\""), "no link it may not follow");
    let (s, _) = page(&site_office, &t, &format!("/sites/{}/edit", w.cy_center)).await;
    assert_eq!(s, 403);
    // a team's admin, and another district, edit no site
    for user in ["teama", "haidian"] {
        let c = page_session(&t, user).await;
        let (_, html) = page(&c, &t, &format!("/sites/{}", w.jw)).await;
        assert!(!html.contains("id=\"edit-site\""), "{user}: no link");
        let (s, _, _) = post_form(
            &c,
            &t,
            &format!("/sites/{}/edit", w.jw),
            &[
                ("address", "别处"),
                ("contact_phone", ""),
                ("contact_name", ""),
                ("opening_hours", ""),
            ],
        )
        .await;
        assert_eq!(s, 403, "{user}");
    }
    // the district above does
    let district = page_session(&t, "chaoyang").await;
    let (s, _) = page(&district, &t, &format!("/sites/{}/edit", w.jw)).await;
    assert_eq!(s, 200);
    // someone not logged in is sent to log in
    let anon = support::app::browser_client(&t);
    let (s, _) = page(&anon, &t, &format!("/sites/{}/edit", w.jw)).await;
    assert_eq!(s, 303);
}

async fn a_sites_details_are_edited_over_the_api(t: TestApp) {
    let w = world::build(&t).await;
    let path = format!("/api/v1/sites/{}", w.jw);
    let body = json!({"address": "建国门外大街甲1号", "contact_phone": "010-65001234",
                      "contact_name": "周小红", "opening_hours": "周一至周五 8:30–17:30"});
    let r = t.send("PUT", &path, Some(&w.chaoyang), Some(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["contact_name"], "周小红");
    assert_eq!(r.body["opening_hours"], "周一至周五 8:30–17:30");
    let r = t.get(&path, None).await;
    assert_eq!(r.body["contact_phone"], "010-65001234", "public once saved");

    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.chaoyang),
            Some(json!({"contact_phone": "总机", "contact_name": "周".repeat(31)})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<&str> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"contact_phone") && fields.contains(&"contact_name"),
        "{fields:?}"
    );

    let r = t.send("PUT", &path, Some(&w.haidian), Some(body.clone())).await;
    assert_eq!(r.status, 403);
    let r = t
        .send("PUT", "/api/v1/sites/999999", Some(&w.city), Some(body))
        .await;
    assert_eq!(r.status, 404);
}

async fn an_organizations_admins_edit_its_details(t: TestApp) {
    let w = world::build(&t).await;
    let leader = page_session(&t, "teama").await;
    let (_, html) = page(&leader, &t, &format!("/orgs/{}", w.team_a)).await;
    assert!(html.contains("id=\"edit-org\""), "its admin is offered 修改信息");
    let path = format!("/orgs/{}/edit", w.team_a);
    let (s, html) = page(&leader, &t, &path).await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"建外邻里守望志愿服务队\""));
    let (s, _, html) = post_form(
        &leader,
        &t,
        &path,
        &[
            ("name", ""),
            ("contact_name", "李队长"),
            ("contact_phone", "打队部电话"),
            ("description", "周末敲门"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("id=\"error-name\"") && html.contains("id=\"error-contact_phone\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"李队长\"") && html.contains("周末敲门"),
        "input kept"
    );
    let (s, location, _) = post_form(
        &leader,
        &t,
        &path,
        &[
            ("name", "建外邻里守望志愿服务总队"),
            ("contact_name", "李队长"),
            ("contact_phone", "010-65001234"),
            ("description", "周末敲门"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, html) = page(&leader, &t, &location).await;
    assert!(
        html.contains("信息已保存")
            && html.contains("建外邻里守望志愿服务总队")
            && html.contains("010-65001234")
    );
    let (_, html) = page(&leader, &t, "/audit?action=org.update").await;
    assert!(
        html.contains("修改组织/队伍信息") && html.contains("建外邻里守望志愿服务队"),
        "old name in the log"
    );
    // another district's office may not
    let hd = page_session(&t, "haidian").await;
    let (s, _) = page(&hd, &t, &path).await;
    assert_eq!(s, 403);
    let (_, html) = page(&hd, &t, &format!("/orgs/{}", w.team_a)).await;
    assert!(!html.contains("id=\"edit-org\""));
}

async fn a_teams_page_lists_its_projects(t: TestApp) {
    let w = world::build(&t).await;
    let project = |title: &str, publish: bool| {
        json!({"title": title, "category": "environment", "organization_id": w.team_a1, "address": "建外",
               "person_in_charge": "李队长", "publish": publish,
               "shifts": [{"starts_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                           "ends_at": (chrono::Utc::now() + chrono::Duration::days(1) + chrono::Duration::hours(2)).to_rfc3339(),
                           "headcount": 5}]})
    };
    world::created(
        &t,
        "/api/v1/projects",
        &w.team_a_admin,
        project("永安里垃圾分类宣传", true),
    )
    .await;
    world::created(
        &t,
        "/api/v1/projects",
        &w.team_a_admin,
        project("草稿里的清扫活动", false),
    )
    .await;
    // the team above lists its sub-team's projects; the public sees no draft
    let anyone = support::app::browser_client(&t);
    let (_, html) = page(&anyone, &t, &format!("/orgs/{}", w.team_a)).await;
    assert!(
        html.contains("id=\"org-projects\"") && html.contains("永安里垃圾分类宣传"),
        "{html}"
    );
    assert!(!html.contains("草稿里的清扫活动"));
    let leader = page_session(&t, "teama").await;
    let (_, html) = page(&leader, &t, &format!("/orgs/{}", w.team_a)).await;
    assert!(html.contains("草稿里的清扫活动"), "its admin sees drafts too");
}

async fn a_team_moves_under_another_parent_with_its_sub_teams(t: TestApp) {
    let w = world::build(&t).await;
    let union = world::created(
        &t,
        "/api/v1/organizations",
        &w.chaoyang,
        json!({"name": "朝阳区志愿者联合会", "kind": "organization", "region_code": "110105000000"}),
    )
    .await;
    let office = page_session(&t, "chaoyang").await;
    let (_, html) = page(&office, &t, &format!("/orgs/{}/edit", w.team_a)).await;
    assert!(
        html.contains(&format!("<option value=\"{union}\"")),
        "the union is offered"
    );
    assert!(
        !html.contains(&format!("<option value=\"{}\"", w.team_a1)),
        "never its own sub-team"
    );
    // a parent in its own subtree, typed by hand, is refused beside the field
    let a1 = w.team_a1.to_string();
    let (s, _, html) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/move", w.team_a),
        &[("parent_id", a1.as_str())],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"error-parent_id\""), "{html}");
    let u = union.to_string();
    let (s, location, _) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/move", w.team_a),
        &[("parent_id", u.as_str())],
    )
    .await;
    assert_eq!(s, 303, "moved");
    let (_, html) = page(&office, &t, &location).await;
    assert!(html.contains("已调整上级组织") && html.contains("朝阳区志愿者联合会"));
    let r = t
        .get(&format!("/api/v1/organizations?parent_id={union}"), None)
        .await;
    assert_eq!(r.body["items"][0]["id"], w.team_a);
    // the sub-team moved along: the team's admin still runs it, and 朝阳 sees it in the subtree
    let leader = page_session(&t, "teama").await;
    let (s, _) = page(&leader, &t, &format!("/orgs/{}/edit", w.team_a1)).await;
    assert_eq!(s, 200, "the team admin's scope followed the move");
    let r = t
        .get(&format!("/api/v1/organizations?parent_id={}", w.team_a), None)
        .await;
    assert_eq!(r.body["items"][0]["id"], w.team_a1);
    // a parent the caller does not administer
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/move", w.team_a),
            Some(&w.chaoyang),
            json!({"parent_id": w.team_b}),
        )
        .await;
    assert_eq!(r.status, 403);
    // the street's office may not take the team out from under the district's union
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/move", w.team_a),
            Some(&w.jw_site_admin),
            json!({"parent_id": null}),
        )
        .await;
    assert_eq!(r.status, 403);
    let jw = page_session(&t, "jwsite").await;
    let (_, html) = page(&jw, &t, &format!("/orgs/{}/edit", w.team_a)).await;
    assert!(
        html.contains("朝阳区志愿者联合会（当前）"),
        "the current parent is shown: {html}"
    );
    assert!(!html.contains("作为顶级组织"));
    // a team admin cannot make its team a top-level organization
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/move", w.team_a1),
            Some(&w.team_a_admin),
            json!({"parent_id": null}),
        )
        .await;
    assert_eq!(r.status, 403);
}

async fn a_dissolved_team_keeps_its_history_and_takes_no_one_new(t: TestApp) {
    let w = world::build(&t).await;
    // a pending request to the sub-team
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a1),
            Some(&w.volunteer),
            json!({"note": ""}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let office = page_session(&t, "chaoyang").await;
    // a team with a sub-team standing is not dissolved: the page says why and keeps the reason
    let (s, _, html) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/dissolve", w.team_a),
        &[("reason", "并入街道总队")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("id=\"dissolve-refused\"") && html.contains("1 支下级队伍"),
        "{html}"
    );
    assert!(html.contains("value=\"并入街道总队\""));
    // a reason is required
    let (s, _, html) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/dissolve", w.team_a1),
        &[("reason", "")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"error-reason\""));
    let (s, location, _) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/dissolve", w.team_a1),
        &[("reason", "队员已并入邻里守望队")],
    )
    .await;
    assert_eq!(s, 303);
    let (_, html) = page(&office, &t, &location).await;
    assert!(
        html.contains("id=\"dissolved\"") && html.contains("已解散，成员已收到通知"),
        "{html}"
    );
    assert!(!html.contains("id=\"edit-org\""), "nothing left to edit");
    // a second tap lands on the page as it is, not on an error
    let (s, location, _) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/dissolve", w.team_a1),
        &[("reason", "队员已并入邻里守望队")],
    )
    .await;
    assert_eq!((s, location), (303, format!("/orgs/{}", w.team_a1)));
    // an edit sent from a page opened before the dissolution says it was not saved
    let (s, location, _) = post_form(
        &office,
        &t,
        &format!("/orgs/{}/edit", w.team_a1),
        &[
            ("name", "改名"),
            ("contact_name", ""),
            ("contact_phone", ""),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(
        (s, location.clone()),
        (303, format!("/orgs/{}?unsaved=1", w.team_a1))
    );
    let (_, html) = page(&office, &t, &location).await;
    assert!(html.contains("修改未保存") && !html.contains("改名"), "{html}");
    // the volunteer who asked is told; the request is declined; a new one is refused
    let r = t.get("/api/v1/notices", Some(&w.volunteer)).await;
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "team_dissolved"
                && n["text"].as_str().unwrap().contains("队员已并入邻里守望队")
                && n["text"].as_str().unwrap().contains("申请未获通过")),
        "{}",
        r.body
    );
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a1),
            Some(&w.volunteer),
            json!({"note": ""}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "org_dissolved"));
    // gone from the directory, still on its own page
    let r = t
        .get(&format!("/api/v1/organizations?parent_id={}", w.team_a), None)
        .await;
    assert_eq!(r.body["total"], 0, "{}", r.body);
    let r = t.get(&format!("/api/v1/organizations/{}", w.team_a1), None).await;
    assert!(r.body["dissolved_at"].is_string());
    // a team's own admin does not dissolve the team it runs
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/dissolve", w.team_a),
            Some(&w.team_a_admin),
            json!({"reason": "不再活动"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "org_dissolve_own"));
}

/// A team with an order offered to it is not dissolved until the order is answered.
async fn a_team_with_an_open_order_is_not_dissolved(t: TestApp) {
    let w = world::build(&t).await;
    let menu = t
        .get(&format!("/api/v1/menu?region_code={}", world::PLACE), None)
        .await;
    let item = menu.body["items"][0]["id"].as_i64().unwrap();
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let o = t
        .post(
            "/api/v1/orders",
            Some(&w.resident),
            json!({"item_id": item, "region_code": world::PLACE, "address": "建外测试社区3号楼",
                   "window_start": at(3), "window_end": at(5), "people": 1, "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let id = o.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "team", "team_ids": [w.team_a1]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/dissolve", w.team_a1),
            Some(&w.chaoyang),
            json!({"reason": "并入邻里守望队"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "org_not_empty"));
    assert!(r.message().contains("1 个待答复或未完成的点单"), "{}", r.body);
}

both_backends!(
    a_site_office_edits_its_sites_details_on_the_page,
    only_the_offices_over_a_site_may_edit_it,
    a_sites_details_are_edited_over_the_api,
    an_organizations_admins_edit_its_details,
    a_teams_page_lists_its_projects,
    a_team_with_an_open_order_is_not_dissolved,
    a_team_moves_under_another_parent_with_its_sub_teams,
    a_dissolved_team_keeps_its_history_and_takes_no_one_new
);
