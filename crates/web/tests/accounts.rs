//! 账号管理 over real HTTP with cookie sessions: an office creates the accounts of the
//! administrators below it, sees when they last logged in, disables and enables them, resets
//! a password to a temporary one shown once; everyone changes their own password.

mod support;

use support::app::{page_session, spawn_app, Db, TestApp};
use support::world;

async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The `<tr>` of one account on the accounts page.
fn row<'a>(html: &'a str, username: &str) -> &'a str {
    let at = html
        .find(&format!(">{username}</td>"))
        .unwrap_or_else(|| panic!("{username} listed: {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

async fn log_in(t: &TestApp, user: &str, password: &str) -> (reqwest::Client, u16, String) {
    let c = support::app::browser_client(t);
    let r = c
        .post(t.url("/login"))
        .form(&[("username", user), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (c, status, r.text().await.unwrap())
}

async fn an_office_runs_the_accounts_below_it(t: TestApp) {
    let w = world::build(&t).await;
    let office = page_session(&t, "chaoyang").await;
    let (s, html) = page(&office, &t, "/accounts/new").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("value=\"site_admin\""),
        "a district office hands out site admins"
    );
    assert!(
        !html.contains("value=\"city_admin\""),
        "never a role above its own"
    );
    // a form with problems keeps what was typed, except the password
    let r = office
        .post(t.url("/accounts/new"))
        .form(&[
            ("display_name", "周站长"),
            ("username", "x"),
            ("password", "short"),
            ("role", "site_admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-username\"") && html.contains("id=\"error-password\""),
        "{html}"
    );
    assert!(html.contains("value=\"周站长\""), "input kept");
    let jw = w.jw.to_string();
    let r = office
        .post(t.url("/accounts/new"))
        .form(&[
            ("display_name", "周站长"),
            ("username", "jw_zhou"),
            ("password", "start2026a"),
            ("role", "site_admin"),
            ("scope_site_id", jw.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&office, &t, "/accounts").await;
    let line = row(&html, "jw_zhou");
    assert!(
        line.contains("阵地管理员") && line.contains("建外街道新时代文明实践所"),
        "{line}"
    );
    assert!(line.contains("从未登录"));
    // the new administrator logs in and works in their site
    let (zhou, s, _) = log_in(&t, "jw_zhou", "start2026a").await;
    assert_eq!(s, 303);
    assert_eq!(page(&zhou, &t, "/orders/queue").await.0, 200);
    let (_, html) = page(&office, &t, "/accounts").await;
    assert!(
        !row(&html, "jw_zhou").contains("从未登录"),
        "the last login is shown"
    );
    // outside its scope, the account is not listed
    let (_, html) = page(&page_session(&t, "haidian").await, &t, "/accounts").await;
    assert!(!html.contains("jw_zhou"));
    // 停用: the session ends at once, and the login says why
    let id = {
        let line = row(&html_of(&office, &t).await, "jw_zhou").to_owned();
        let at = line.find("/accounts/").unwrap() + "/accounts/".len();
        line[at..].split('/').next().unwrap().to_owned()
    };
    let r = office
        .post(t.url(&format!("/accounts/{id}/disable")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = zhou.get(t.url("/orders/queue")).send().await.unwrap();
    assert_eq!(r.status(), 303, "the disabled account's session has ended");
    let (_, s, html) = log_in(&t, "jw_zhou", "start2026a").await;
    assert_eq!(s, 401);
    assert!(html.contains("该账号已停用"), "{html}");
    // a second 停用 (a stale page) is refused on the list, not on an error page
    let r = office
        .post(t.url(&format!("/accounts/{id}/disable")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("id=\"refused\""));
    let r = office
        .post(t.url(&format!("/accounts/{id}/enable")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // 重置密码: a temporary password shown once; the old one no longer works
    let r = office
        .post(t.url(&format!("/accounts/{id}/reset-password")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let at = html.find("id=\"temporary-password\">").unwrap() + "id=\"temporary-password\">".len();
    let temporary = html[at..].split('<').next().unwrap().to_owned();
    assert_eq!(temporary.len(), 12);
    assert_eq!(log_in(&t, "jw_zhou", "start2026a").await.1, 401);
    assert_eq!(log_in(&t, "jw_zhou", &temporary).await.1, 303);
    let (_, html) = page(&office, &t, "/accounts").await;
    assert!(!html.contains(&temporary), "shown once");
    // the audit log names each of these in Chinese
    let (_, html) = page(&office, &t, "/audit?entity=account").await;
    for label in ["新建账号", "停用账号", "启用账号", "重置密码"] {
        assert!(html.contains(label), "{label}");
    }
}

async fn html_of(c: &reqwest::Client, t: &TestApp) -> String {
    page(c, t, "/accounts").await.1
}

async fn a_team_admin_cannot_hand_out_a_site(t: TestApp) {
    let w = world::build(&t).await;
    let team = page_session(&t, "teama").await;
    let (_, html) = page(&team, &t, "/accounts/new").await;
    assert!(!html.contains("value=\"site_admin\""));
    let jw = w.jw.to_string();
    let r = team
        .post(t.url("/accounts/new"))
        .form(&[
            ("display_name", "越权测试"),
            ("username", "sneaky"),
            ("password", "start2026a"),
            ("role", "site_admin"),
            ("scope_site_id", jw.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不在您的管理范围内"));
    assert_eq!(log_in(&t, "sneaky", "start2026a").await.1, 401);
    // a volunteer has no accounts page
    let v = page_session(&t, "13700000001").await;
    assert_eq!(page(&v, &t, "/accounts").await.0, 403);
}

async fn everyone_changes_their_own_password(t: TestApp) {
    world::build(&t).await;
    let here = page_session(&t, "teama").await;
    let elsewhere = page_session(&t, "teama").await;
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        here.post(t.url("/me/password"))
            .form(&[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ])
            .send()
    };
    let r = change("wrong-pass-1", "newpass2026", "newpass2026")
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"error-current_password\""));
    let r = change(world::PW, "newpass2026", "other2026x").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"error-confirm_password\""));
    let r = change(world::PW, "newpass2026", "newpass2026").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page(&here, &t, "/me").await.0, 200, "this device stays logged in");
    let r = elsewhere.get(t.url("/me")).send().await.unwrap();
    assert_eq!(r.status(), 303, "other devices are logged out");
    assert_eq!(log_in(&t, "teama", world::PW).await.1, 401);
    assert_eq!(log_in(&t, "teama", "newpass2026").await.1, 303);
}

/// 平台账号 未开通: the team's admin opens a login for a volunteer they registered; the
/// volunteer logs in with their phone and the temporary password; a second opening is refused
/// on the record's page.
async fn a_registered_volunteer_is_given_a_login(t: TestApp) {
    let w = world::build(&t).await;
    let team = page_session(&t, "teama").await;
    let (_, html) = page(&team, &t, &format!("/volunteers/{}", w.v_a)).await;
    assert!(html.contains("id=\"open-account\""), "{html}");
    let open = || team.post(t.url(&format!("/volunteers/{}/account", w.v_a))).send();
    let r = open().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let grab = |id: &str| {
        let at = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        html[at..].split('<').next().unwrap().to_owned()
    };
    let (username, temporary) = (grab("opened-username"), grab("temporary-password"));
    assert!(html.contains(&format!("data-page-url=\"/volunteers/{}\"", w.v_a)));
    let (_, s, _) = log_in(&t, &username, &temporary).await;
    assert_eq!(s, 303, "the volunteer logs in with {username}");
    let r = open().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("已开通平台账号"));
    // an office that does not see the volunteer may not
    let hd = page_session(&t, "haidian").await;
    // its own volunteer has the same phone as 王建国 in this world: that login name is taken
    let r = hd
        .post(t.url(&format!("/volunteers/{}/account", w.v_b)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("已是其他账号的登录名"));
    let r = hd
        .post(t.url(&format!("/volunteers/{}/account", w.v_a)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "but not for 朝阳's");
}

/// 调整角色: an office gives an administrator below it another role and place, within its own
/// scope; the account's sessions follow at once.
async fn an_office_reassigns_an_administrators_role(t: TestApp) {
    let w = world::build(&t).await;
    let list = t.get("/api/v1/accounts", Some(&w.chaoyang)).await;
    let id = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "jwsite")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let office = page_session(&t, "chaoyang").await;
    let (s, html) = page(&office, &t, "/accounts").await;
    assert_eq!(s, 200);
    assert!(
        row(&html, "jwsite").contains(&format!("/accounts/{id}/role")),
        "offered 调整角色"
    );
    let (s, html) = page(&office, &t, &format!("/accounts/{id}/role")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("value=\"site_admin\" selected"),
        "the current role is chosen"
    );
    assert!(!html.contains("name=\"password\""), "no password here");
    assert!(
        html.contains(&format!("<option value=\"{}\" selected", w.jw)),
        "and its place: {html}"
    );
    // saving it unchanged changes nothing and logs nothing
    let jw = w.jw.to_string();
    let r = office
        .post(t.url(&format!("/accounts/{id}/role")))
        .form(&[("role", "site_admin"), ("scope_site_id", jw.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&office, &t, "/audit?action=account.role_change").await;
    assert!(!html.contains("jwsite"), "nothing logged: {html}");
    // a place outside the office's own scope: refused beside its field
    let hd1 = w.hd1.to_string();
    let r = office
        .post(t.url(&format!("/accounts/{id}/role")))
        .form(&[("role", "site_admin"), ("scope_site_id", hd1.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"error-scope_site_id\""));
    // a team admin of 建外's team now
    let team = w.team_a.to_string();
    let r = office
        .post(t.url(&format!("/accounts/{id}/role")))
        .form(&[("role", "team_admin"), ("scope_org_id", team.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&office, &t, "/accounts?done=role").await;
    assert!(row(&html, "jwsite").contains("队伍管理员"), "{html}");
    let me = t.get("/api/v1/me", Some(&w.jw_site_admin)).await;
    assert_eq!(me.body["account"]["role"], "team_admin", "{}", me.body);
    let (_, html) = page(&office, &t, "/audit?action=account.role_change").await;
    assert!(html.contains("调整角色"));
    // never above the office's own role, never by someone who does not manage the account
    let r = t
        .post(
            &format!("/api/v1/accounts/{id}/role"),
            Some(&w.chaoyang),
            serde_json::json!({"role": "city_admin", "scope_region": "11"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post(
            &format!("/api/v1/accounts/{id}/role"),
            Some(&w.haidian),
            serde_json::json!({"role": "district_admin", "scope_region": "110108"}),
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.status);
}

both_backends!(
    an_office_reassigns_an_administrators_role,
    a_registered_volunteer_is_given_a_login,
    an_office_runs_the_accounts_below_it,
    a_team_admin_cannot_hand_out_a_site,
    everyone_changes_their_own_password
);
