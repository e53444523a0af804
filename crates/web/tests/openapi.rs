//! The OpenAPI document tells the truth: a realistic walk through every operation, then probes
//! every operation is open to (no token, a malformed or unknown id, another caller, a body that
//! is not JSON, a bad `Idempotency-Key`, a replay), and every answer is checked against the
//! document served at `/api/openapi.json`: its status must be listed for that operation and its
//! body must match the declared schema (JSON Schema 2020-12, with `$ref`s into the components;
//! objects are checked closed, so an undeclared field fails too). Every request body that was
//! accepted must match the declared request schema. Every operation must have answered 2xx at
//! least once, so an endpoint added without a walk through it fails here.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{new_resident_id, spawn_app, Db, TestApp};
use support::world::{self, volunteer_body, PW};

const PLACE: &str = "110105001001";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn at(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

struct Answer {
    status: u16,
    body: Value,
}

/// What a successful call of an operation looked like, for the probes.
#[derive(Clone)]
struct Example {
    path: String,
    token: Option<String>,
    body: Option<Value>,
}

struct Checked<'a> {
    t: &'a TestApp,
    doc: Value,
    /// (method, path template)
    ops: Vec<(String, String)>,
    strict: Value,
    lenient: Value,
    validators: HashMap<String, jsonschema::Validator>,
    seen: BTreeMap<(String, String), BTreeSet<u16>>,
    examples: BTreeMap<(String, String), Example>,
    failures: Vec<String>,
}

/// Closes every object schema that lists its properties (and is not a part of an `allOf`), so a
/// field the document does not declare fails validation.
fn close_objects(v: &mut Value, in_all_of: bool) {
    match v {
        Value::Object(m) => {
            if !in_all_of && m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (k, child) in m.iter_mut() {
                if k == "allOf" {
                    if let Value::Array(parts) = child {
                        for p in parts {
                            close_objects(p, true);
                        }
                    }
                } else if k != "properties" {
                    close_objects(child, false);
                } else if let Value::Object(props) = child {
                    for p in props.values_mut() {
                        close_objects(p, false);
                    }
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| close_objects(x, false)),
        _ => {}
    }
}

impl<'a> Checked<'a> {
    async fn new(t: &'a TestApp) -> Checked<'a> {
        let r = t.get("/api/openapi.json", None).await;
        assert_eq!(r.status, 200);
        let doc = r.body;
        assert_eq!(
            doc["openapi"].as_str().map(|v| &v[..2]),
            Some("3."),
            "{}",
            doc["openapi"]
        );
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for m in METHODS {
                if item.get(m).is_some() {
                    ops.push((m.to_owned(), path.clone()));
                }
            }
        }
        let lenient = doc["components"].clone();
        let mut strict = lenient.clone();
        close_objects(&mut strict["schemas"], false);
        Checked {
            t,
            doc,
            ops,
            strict,
            lenient,
            validators: HashMap::new(),
            seen: BTreeMap::new(),
            examples: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// The operation a request hits: the template whose segments match, literal ones preferred.
    fn operation(&self, method: &str, path: &str) -> Option<(String, String)> {
        let path = path.split('?').next().unwrap_or(path);
        let segs: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &(String, String))> = None;
        for op in &self.ops {
            if op.0 != method {
                continue;
            }
            let tsegs: Vec<&str> = op.1.split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let fits = tsegs.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') {
                    true
                } else {
                    literal += 1;
                    t == s
                }
            });
            if fits && best.is_none_or(|(l, _)| literal > l) {
                best = Some((literal, op));
            }
        }
        best.map(|(_, op)| op.clone())
    }

    fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').expect("local $ref");
                self.doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {r}"))
            }
            None => v,
        }
    }

    fn validate(&mut self, what: &str, schema: &Value, instance: &Value, strict: bool) {
        let mut root = schema.as_object().cloned().unwrap_or_default();
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert(
            "components".into(),
            if strict {
                self.strict.clone()
            } else {
                self.lenient.clone()
            },
        );
        let key = format!("{strict}{schema}");
        if !self.validators.contains_key(&key) {
            let v = jsonschema::draft202012::options()
                .build(&Value::Object(root))
                .unwrap_or_else(|e| panic!("{what}: the declared schema does not compile: {e}"));
            self.validators.insert(key.clone(), v);
        }
        let errors: Vec<String> = self.validators[&key]
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        if !errors.is_empty() {
            self.failures.push(format!(
                "{what}: does not match the document: {}\n    body: {}",
                errors.join("; "),
                truncate(&instance.to_string())
            ));
        }
    }

    /// Sends a request and checks the answer against the document.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = reqwest::Client::new().request(m, self.t.url(path));
        if let Some(tok) = token {
            req = req.bearer_auth(tok);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let sent_json = body
            .as_ref()
            .filter(|(ct, _)| *ct == "application/json")
            .and_then(|(_, b)| serde_json::from_slice::<Value>(b).ok());
        if let Some((ct, b)) = body {
            req = req.header("content-type", ct).body(b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = r.bytes().await.unwrap_or_default();
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let what = format!("{} {path} → {status}", method.to_uppercase());
        let Some(op) = self.operation(method, path) else {
            self.failures
                .push(format!("{what}: no such operation in the document"));
            return Answer { status, body: json };
        };
        self.seen.entry(op.clone()).or_default().insert(status);
        if (200..300).contains(&status) {
            self.examples.entry(op.clone()).or_insert(Example {
                path: path.to_owned(),
                token: token.map(str::to_owned),
                body: sent_json.clone(),
            });
        }
        let operation = self.doc["paths"][&op.1][&op.0].clone();
        let Some(declared) = operation["responses"].get(status.to_string()) else {
            let listed: Vec<&String> = operation["responses"]
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            self.failures.push(format!(
                "{what}: status not listed for {} {} (listed: {listed:?}); body {}",
                op.0,
                op.1,
                truncate(&json.to_string())
            ));
            return Answer { status, body: json };
        };
        let declared = self.resolve(declared).clone();
        match declared.get("content").and_then(Value::as_object) {
            None => {
                if !bytes.is_empty() {
                    self.failures
                        .push(format!("{what}: a body where the document declares none"));
                }
            }
            Some(content) => {
                if let Some(media) = content.get("application/json") {
                    if !content_type.starts_with("application/json") {
                        self.failures
                            .push(format!("{what}: content type {content_type:?}, declared JSON"));
                    } else {
                        let schema = media["schema"].clone();
                        self.validate(&what, &schema, &json, true);
                    }
                } else if let Some(ct) = content.keys().next() {
                    if !content_type.starts_with(ct.as_str()) {
                        self.failures
                            .push(format!("{what}: content type {content_type:?}, declared {ct}"));
                    }
                    if bytes.is_empty() {
                        self.failures.push(format!("{what}: an empty {ct}"));
                    }
                }
            }
        }
        if (200..300).contains(&status) {
            if let Some(sent) = &sent_json {
                let schema = operation["requestBody"]["content"]["application/json"]["schema"].clone();
                if schema.is_null() {
                    if operation.get("requestBody").is_some() {
                        self.failures
                            .push(format!("{what}: request body has no JSON schema"));
                    }
                } else {
                    self.validate(&format!("{what} (request body)"), &schema, sent, false);
                }
            }
        }
        Answer { status, body: json }
    }

    async fn get(&mut self, path: &str, token: Option<&str>) -> Answer {
        self.send("get", path, token, &[], None).await
    }

    async fn post(&mut self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            "post",
            path,
            token,
            &[],
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }

    /// A POST without a body.
    async fn post_empty(&mut self, path: &str, token: Option<&str>) -> Answer {
        self.send("post", path, token, &[], None).await
    }

    /// `send`, and the status must be `want`.
    fn expect(&mut self, a: Answer, want: u16, what: &str) -> Value {
        if a.status != want {
            self.failures.push(format!(
                "{what}: got {} (wanted {want}): {}",
                a.status,
                truncate(&a.body.to_string())
            ));
        }
        a.body
    }

    async fn ok_get(&mut self, path: &str, token: Option<&str>) -> Value {
        let a = self.get(path, token).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.body);
        a.body
    }

    async fn ok_post(&mut self, path: &str, token: Option<&str>, body: Value, want: u16) -> Value {
        let a = self.post(path, token, body.clone()).await;
        assert_eq!(a.status, want, "POST {path} {body}: {}", a.body);
        a.body
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Moves a shift so that it started `ago` and lasts `len` (tests cannot wait for real time).
async fn travel(t: &TestApp, shift: i64, ago: Duration, len: Duration) {
    let start = (Utc::now() - ago).timestamp_millis();
    let mut tx = t.app.store.write().await.unwrap();
    sqlx::query("UPDATE shifts SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(start)
        .bind(start + len.num_milliseconds())
        .bind(shift)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn every_operation_answers_as_documented(t: TestApp) {
    let w = world::build(&t).await;
    let mut a = Checked::new(&t).await;
    // the checker itself catches an undeclared field and a value outside an enum
    for bad in [
        json!({"status": "rated", "label": "已评价", "count": 1, "extra": true}),
        json!({"status": "lost", "label": "?", "count": 1}),
    ] {
        a.validate(
            "self-check",
            &json!({"$ref": "#/components/schemas/StatusCount"}),
            &bad,
            true,
        );
    }
    assert_eq!(a.failures.len(), 2, "{:?}", a.failures);
    a.failures.clear();
    let (city, cy, vol, team, res, jw) = (
        Some(w.city.as_str()),
        Some(w.chaoyang.as_str()),
        Some(w.volunteer.as_str()),
        Some(w.team_a_admin.as_str()),
        Some(w.resident.as_str()),
        Some(w.jw_site_admin.as_str()),
    );
    let today = zhiyuan_app::today().to_string();

    // auth and self-registration
    let login = a
        .ok_post(
            "/api/v1/auth/login",
            None,
            json!({"username": "city", "password": PW}),
            200,
        )
        .await;
    let spare = login["token"].as_str().unwrap().to_owned();
    let wrong = a
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "city", "password": "wrong-password1"}),
        )
        .await;
    a.expect(wrong, 401, "a wrong password");
    a.ok_get("/api/v1/me", vol).await;
    a.ok_get("/api/v1/me", city).await;
    let mut tokens = Vec::new();
    for i in 0..3 {
        let r = a
            .ok_post(
                "/api/v1/register",
                None,
                json!({"name": "文档测试", "resident_id": new_resident_id("110105"), "phone": format!("1360000000{i}"),
                       "region_code": "110105001000", "password": PW, "skills": ["急救"], "lat": 39.9087, "lon": 116.45}),
                201,
            )
            .await;
        tokens.push(r["token"].as_str().unwrap().to_owned());
    }
    let dup = a
        .post(
            "/api/v1/register",
            None,
            json!({"name": "重复", "resident_id": w.v_self_id, "phone": "13600000009", "region_code": "110105001000", "password": PW}),
        )
        .await;
    a.expect(dup, 409, "a duplicate resident ID");

    // the network
    a.ok_get("/api/v1/regions", None).await;
    a.ok_get("/api/v1/regions?parent=110105000000", None).await;
    a.ok_get("/api/v1/regions/110105001000", None).await;
    a.ok_get("/api/v1/sites?region=110105&per_page=200", None).await;
    let station = a
        .ok_post(
            "/api/v1/sites",
            Some(w.haidian.as_str()),
            json!({"name": "海淀测试社区新时代文明实践站", "level": "station", "region_code": "110108001001",
                   "parent_id": w.hd1, "address": "建外测试社区1号", "contact_phone": "13800000001"}),
            201,
        )
        .await;
    a.ok_get(&format!("/api/v1/sites/{}", id(&station)), None).await;
    let details = a
        .send(
            "put",
            &format!("/api/v1/sites/{}", id(&station)),
            Some(w.haidian.as_str()),
            &[],
            Some((
                "application/json",
                json!({"address": "海淀测试社区1号", "contact_phone": "010-62001234", "contact_name": "周小红",
                       "opening_hours": "周一至周五 9:00–17:00"})
                .to_string()
                .into_bytes(),
            )),
        )
        .await;
    a.expect(details, 200, "a site's details edited");
    a.ok_get("/api/v1/organizations?region=110105&roots=true", None)
        .await;
    let sub = a
        .ok_post(
            "/api/v1/organizations",
            team,
            json!({"name": "建外文档测试分队", "kind": "team", "parent_id": w.team_a, "contact_name": "李队长",
                   "contact_phone": "13800000000", "description": "测试"}),
            201,
        )
        .await;
    a.ok_get(&format!("/api/v1/organizations/{}", id(&sub)), None)
        .await;
    let edited = a
        .send(
            "put",
            &format!("/api/v1/organizations/{}", id(&sub)),
            team,
            &[],
            Some((
                "application/json",
                json!({"name": "建外文档测试分队", "contact_name": "王队长", "contact_phone": "010-65001234",
                       "description": "改过的简介"})
                .to_string()
                .into_bytes(),
            )),
        )
        .await;
    a.expect(edited, 200, "an organization's details edited");
    a.ok_get(
        &format!("/api/v1/organizations/{}/parent-choices", id(&sub)),
        team,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/organizations/{}/move", id(&sub)),
        team,
        json!({"parent_id": w.team_a1}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/organizations/{}/dissolve", id(&sub)),
        team,
        json!({"reason": "队员已并入青年突击队"}),
        200,
    )
    .await;

    // volunteers and teams
    a.ok_get("/api/v1/volunteers?q=王", cy).await;
    let v_new = a
        .ok_post(
            "/api/v1/volunteers",
            cy,
            volunteer_body("周文档", "110105001000", Some(w.team_a)),
            201,
        )
        .await;
    a.ok_get(&format!("/api/v1/volunteers/{}", id(&v_new)), cy).await;
    a.ok_get(&format!("/api/v1/volunteers/{}/memberships", w.v_a), cy)
        .await;
    let join = a
        .post_empty(&format!("/api/v1/organizations/{}/join-requests", w.team_a1), vol)
        .await;
    let join = a.expect(join, 201, "joining with an empty body");
    let join2 = a
        .ok_post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_b),
            vol,
            json!({"note": "想参加科普"}),
            201,
        )
        .await;
    a.ok_get(
        &format!("/api/v1/organizations/{}/members?status=pending", w.team_a),
        team,
    )
    .await;
    a.ok_get("/api/v1/join-requests", team).await;
    a.ok_post(
        &format!("/api/v1/join-requests/{}/approve", id(&join)),
        team,
        json!({}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/join-requests/{}/decline", id(&join2)),
        Some(w.haidian.as_str()),
        json!({}),
        200,
    )
    .await;

    // administration
    a.ok_post(
        "/api/v1/accounts",
        cy,
        json!({"username": "docteam", "password": "abc12345", "display_name": "文档队伍管理员", "role": "team_admin",
               "scope_org_id": w.team_a}),
        201,
    )
    .await;
    let weak = a
        .post(
            "/api/v1/accounts",
            cy,
            json!({"username": "weak", "password": "short", "display_name": "x", "role": "team_admin", "scope_org_id": w.team_a}),
        )
        .await;
    a.expect(weak, 422, "a weak password");
    a.ok_post(
        "/api/v1/accounts",
        cy,
        json!({"username": "docpw", "password": "abc12345", "display_name": "文档改密", "role": "team_admin",
               "scope_org_id": w.team_a}),
        201,
    )
    .await;
    let listed = a.ok_get("/api/v1/accounts", cy).await;
    let docteam = listed
        .as_array()
        .and_then(|l| l.iter().find(|x| x["username"] == "docteam"))
        .and_then(|x| x["id"].as_i64())
        .expect("docteam listed");
    a.ok_post(
        &format!("/api/v1/accounts/{docteam}/role"),
        cy,
        json!({"role": "site_admin", "scope_site_id": w.jw}),
        200,
    )
    .await;
    a.ok_post(&format!("/api/v1/accounts/{docteam}/disable"), cy, json!({}), 200)
        .await;
    a.ok_post(&format!("/api/v1/accounts/{docteam}/enable"), cy, json!({}), 200)
        .await;
    a.ok_post(
        &format!("/api/v1/accounts/{docteam}/reset-password"),
        cy,
        json!({}),
        200,
    )
    .await;
    let pw = a
        .ok_post(
            "/api/v1/auth/login",
            None,
            json!({"username": "docpw", "password": "abc12345"}),
            200,
        )
        .await;
    let pw_token = pw["token"].as_str().unwrap().to_owned();
    let changed = a
        .post(
            "/api/v1/me/password",
            Some(pw_token.as_str()),
            json!({"current_password": "abc12345", "new_password": "abc12345x"}),
        )
        .await;
    a.expect(changed, 204, "a changed password");
    let opened = a
        .post(
            &format!("/api/v1/volunteers/{}/account", id(&v_new)),
            cy,
            json!({}),
        )
        .await;
    a.expect(opened, 201, "a login opened for a registered volunteer");
    let closed = a
        .post(
            &format!("/api/v1/volunteers/{}/close", id(&v_new)),
            cy,
            json!({"reason": "本人书面申请注销"}),
        )
        .await;
    a.expect(closed, 200, "a volunteer closed by an office");
    let mine = a
        .ok_get(
            &format!("/api/v1/volunteers/{}", w.v_self),
            Some(w.volunteer.as_str()),
        )
        .await;
    let contact = a
        .send(
            "put",
            &format!("/api/v1/volunteers/{}/contact", w.v_self),
            Some(w.volunteer.as_str()),
            &[],
            Some((
                "application/json",
                json!({"phone": "", "region_code": mine["region_code"], "skills": ["急救"],
                       "categories": ["education"], "availability": "周末 9-12", "public_name": true})
                .to_string()
                .into_bytes(),
            )),
        )
        .await;
    a.expect(contact, 200, "a volunteer's own details changed");
    a.ok_post(
        "/api/v1/records/decide",
        team,
        json!({"ids": [987654321], "confirm": true}),
        200,
    )
    .await;
    a.ok_get("/api/v1/audit?entity_type=volunteer&per_page=200", city)
        .await;

    // projects, shifts and sign-ups
    let project = a
        .ok_post(
            "/api/v1/projects",
            team,
            json!({"title": "文档测试助餐", "category": "elderly_disabled", "organization_id": w.team_a,
                   "address": "北京市朝阳区建外街道永安里", "lat": 39.9087, "lon": 116.45, "person_in_charge": "王队长",
                   "description": "为社区老人送餐", "auto_approve": false, "publish": true,
                   "shifts": [{"starts_at": at(Duration::minutes(30)), "ends_at": at(Duration::minutes(150)), "headcount": 5}]}),
            201,
        )
        .await;
    let pid = id(&project);
    let shift = project["shifts"][0]["id"].as_i64().unwrap();
    let draft = a
        .ok_post(
            "/api/v1/projects",
            team,
            json!({"title": "文档草稿", "category": "environment", "organization_id": w.team_a, "address": "建外",
                   "person_in_charge": "p"}),
            201,
        )
        .await;
    let draft_shift = a
        .ok_post(
            &format!("/api/v1/projects/{}/shifts", id(&draft)),
            team,
            json!({"starts_at": at(Duration::days(2)), "ends_at": at(Duration::days(2) + Duration::hours(2)), "headcount": 3,
                   "required_skills": ["急救"], "min_age": 18}),
            201,
        )
        .await;
    a.ok_post(
        &format!("/api/v1/projects/{}/status", id(&draft)),
        team,
        json!({"status": "recruiting"}),
        200,
    )
    .await;
    let put = |body: Value| Some(("application/json", body.to_string().into_bytes()));
    let edited = a
        .send(
            "put",
            &format!("/api/v1/projects/{}", id(&draft)),
            team,
            &[],
            put(
                json!({"title": "文档草稿（改）", "category": "environment", "address": "建外永安里",
                       "person_in_charge": "p", "contact_phone": "010-65001234"}),
            ),
        )
        .await;
    a.expect(edited, 200, "a recruiting project edited");
    let edited = a
        .send(
            "put",
            &format!("/api/v1/shifts/{}", id(&draft_shift)),
            team,
            &[],
            put(json!({"starts_at": at(Duration::days(3)), "ends_at": at(Duration::days(3) + Duration::hours(2)),
                       "headcount": 4, "required_skills": ["急救"], "min_age": 18})),
        )
        .await;
    a.expect(edited, 200, "a shift edited");
    a.ok_get("/api/v1/projects?region=110105&status=recruiting,running", None)
        .await;
    let bad_date = a.get("/api/v1/projects?from=yesterday", None).await;
    a.expect(bad_date, 422, "a bad date");
    a.ok_get(
        "/api/v1/projects/nearby?lat=39.9087&lon=116.45&radius_m=3000",
        None,
    )
    .await;
    a.ok_get(&format!("/api/v1/projects/{pid}"), None).await;
    let mut sign_ups = Vec::new();
    for tok in [&w.volunteer, &tokens[0], &tokens[1], &tokens[2]] {
        let r = a
            .post_empty(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(tok.as_str()))
            .await;
        sign_ups.push(id(&a.expect(r, 201, "a sign-up")));
    }
    let again = a
        .post_empty(&format!("/api/v1/shifts/{shift}/sign-ups"), vol)
        .await;
    a.expect(again, 409, "signing up twice");
    for su in [sign_ups[0], sign_ups[3]] {
        a.ok_post(&format!("/api/v1/sign-ups/{su}/approve"), team, json!({}), 200)
            .await;
    }
    a.ok_post(
        &format!("/api/v1/sign-ups/{}/decline", sign_ups[1]),
        team,
        json!({}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/sign-ups/{}/cancel", sign_ups[2]),
        Some(tokens[1].as_str()),
        json!({}),
        200,
    )
    .await;
    a.ok_get(&format!("/api/v1/shifts/{shift}/roster"), team).await;
    a.ok_get("/api/v1/my/sign-ups", vol).await;

    // attendance
    travel(&t, shift, Duration::minutes(150), Duration::hours(3)).await;
    let qr = a.ok_get(&format!("/api/v1/shifts/{shift}/qr"), team).await;
    a.ok_post(
        "/api/v1/checkin/scan",
        Some(tokens[2].as_str()),
        json!({"token": qr["token"], "direction": "in", "lat": 39.9087, "lon": 116.45}),
        200,
    )
    .await;
    let r = a
        .post_empty(&format!("/api/v1/sign-ups/{}/check-in", sign_ups[0]), team)
        .await;
    a.expect(r, 200, "a roster check-in");
    a.ok_post(
        &format!("/api/v1/sign-ups/{}/check-out", sign_ups[0]),
        team,
        json!({"at": Utc::now().to_rfc3339()}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/sign-ups/{}/undo-check-out", sign_ups[0]),
        team,
        json!({"reason": "志愿者误扫码签退"}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/sign-ups/{}/check-out", sign_ups[0]),
        team,
        json!({"at": Utc::now().to_rfc3339()}),
        200,
    )
    .await;
    let start = Utc::now() - Duration::minutes(150);
    a.ok_post(
        "/api/v1/attendance/batch",
        team,
        json!({"events": [
            {"client_key": "doc-out", "sign_up_id": sign_ups[3], "kind": "out", "at": (start + Duration::minutes(120)).to_rfc3339()},
            {"client_key": "doc-bad", "sign_up_id": sign_ups[3], "kind": "in", "at": "not a time"},
        ]}),
        200,
    )
    .await;

    // service records
    let entered = a
        .ok_post(
            "/api/v1/records/team-entry",
            team,
            json!({"organization_id": w.team_a, "project_id": pid, "activity": "垃圾分类宣传", "service_date": today,
                   "place": "建外街道", "content": "入户宣传", "person_in_charge": "王队长",
                   "entries": [{"volunteer_id": w.v_a, "minutes": 200}]}),
            201,
        )
        .await;
    let rid = entered[0]["id"].as_i64().unwrap();
    let declaration = json!({"organization_id": w.team_a1, "activity": "助老", "service_date": today, "place": "永安里",
                             "content": "陪伴老人", "person_in_charge": "王队长", "minutes": 50});
    let d1 = a
        .ok_post("/api/v1/records/declare", vol, declaration.clone(), 201)
        .await;
    let d2 = a.ok_post("/api/v1/records/declare", vol, declaration, 201).await;
    a.ok_get("/api/v1/records/pending", team).await;
    a.ok_post(
        &format!("/api/v1/records/{}/confirm", id(&d1)),
        team,
        json!({}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/records/{}/reject", id(&d2)),
        team,
        json!({"reason": "重复申报"}),
        200,
    )
    .await;
    let twice = a
        .post(&format!("/api/v1/records/{}/confirm", id(&d1)), team, json!({}))
        .await;
    a.expect(twice, 409, "confirming twice");
    let corrected = a
        .ok_post(
            &format!("/api/v1/records/{rid}/correct"),
            team,
            json!({"minutes": 120, "reason": "按签到时间更正"}),
            200,
        )
        .await;
    a.ok_get(&format!("/api/v1/records/{}/history", id(&corrected)), team)
        .await;
    a.ok_get(&format!("/api/v1/volunteers/{}/records?per_page=5", w.v_a), team)
        .await;
    a.ok_get(&format!("/api/v1/volunteers/{}/hours", w.v_self), vol)
        .await;

    // certificates
    let cert = a
        .post_empty(&format!("/api/v1/volunteers/{}/certificates", w.v_a), team)
        .await;
    let cert = a.expect(cert, 201, "a certificate with an empty body");
    a.ok_get(&format!("/api/v1/volunteers/{}/certificates", w.v_a), team)
        .await;
    let no = cert["certificate_no"].as_str().unwrap_or("none").to_owned();
    let sig = cert["verify_path"]
        .as_str()
        .and_then(|p| p.split("?s=").nth(1))
        .unwrap_or("")
        .to_owned();
    let pdf = a.get(&format!("/api/v1/certificates/{no}/pdf"), team).await;
    a.expect(pdf, 200, "the certificate PDF");
    let genuine = a
        .ok_get(&format!("/api/v1/certificates/{no}/verify?s={sig}"), None)
        .await;
    assert_eq!(genuine["genuine"], true, "{genuine}");
    a.ok_get(&format!("/api/v1/certificates/{no}/verify"), None).await;
    a.ok_get("/api/v1/honor-roll?region=110105&limit=10", None).await;

    // statistics
    let d = a
        .ok_get("/api/v1/stats/dashboard?year=2026&category=elderly_disabled", cy)
        .await;
    assert_eq!(d["region"]["code"], "110105000000", "{d}");
    a.ok_get(
        &format!("/api/v1/stats/dashboard?from=2026-01-15&to={today}"),
        city,
    )
    .await;
    a.ok_get(
        "/api/v1/stats/records?region=110105001000&year=2026&per_page=5",
        cy,
    )
    .await;
    a.ok_get(
        "/api/v1/stats/active-volunteers?region=110105001000&quarter=2026-Q4",
        jw,
    )
    .await;
    let x = a.get("/api/v1/stats/dashboard.xlsx?year=2026", cy).await;
    a.expect(x, 200, "the dashboard as Excel");
    let x = a
        .get("/api/v1/stats/records.xlsx?region=110105001000&year=2026", jw)
        .await;
    a.expect(x, 200, "the records as Excel");

    // event tallies
    let ev = a
        .ok_post(
            "/api/v1/events",
            cy,
            json!({"name": "春运文明引导", "starts_on": "2026-01-10", "ends_on": "2026-02-18",
                   "posts": [{"name": "北京站", "leader": "teama"}], "metrics": [{"name": "咨询指路", "unit": "次"}]}),
            201,
        )
        .await;
    let ev_id = ev["id"].as_i64().unwrap();
    let (post, metric) = (
        ev["posts"][0]["id"].as_i64().unwrap(),
        ev["metrics"][0]["id"].as_i64().unwrap(),
    );
    a.ok_get("/api/v1/events", team).await;
    a.ok_get(&format!("/api/v1/events/{ev_id}"), cy).await;
    a.ok_post(
        &format!("/api/v1/events/{ev_id}/tallies"),
        team,
        json!({"post_id": post, "day": "2026-01-12", "guides": 3, "guide_minutes": 600,
               "values": [{"metric_id": metric, "value": 42}]}),
        201,
    )
    .await;
    a.ok_get(
        &format!("/api/v1/events/{ev_id}/tallies?post_id={post}&day=2026-01-12"),
        cy,
    )
    .await;
    let x = a.get(&format!("/api/v1/events/{ev_id}/export.xlsx"), cy).await;
    a.expect(x, 200, "the event as Excel");
    let x = a.get("/api/v1/volunteers.xlsx?q=王", cy).await;
    a.expect(x, 200, "the roster as Excel");
    let x = a.get("/api/v1/audit.xlsx?action=export.xlsx", city).await;
    a.expect(x, 200, "the audit log as Excel");
    a.ok_get("/api/v1/stats/team?year=2026", team).await;
    let x = a.get("/api/v1/organizations.xlsx?region=110105", cy).await;
    a.expect(x, 200, "the team directory as Excel");
    let x = a.get("/api/v1/sites.xlsx?level=station", cy).await;
    a.expect(x, 200, "the site directory as Excel");
    let x = a.get("/api/v1/projects.xlsx?region=110105", cy).await;
    a.expect(x, 200, "the projects as Excel");
    let x = a.get(&format!("/api/v1/shifts/{shift}/roster.xlsx"), team).await;
    a.expect(x, 200, "a shift's sign-ups as Excel");
    let x = a.get("/api/v1/honor-roll.xlsx?region=110105", cy).await;
    a.expect(x, 200, "the honor roll as Excel");
    let x = a.get("/api/v1/orders/queue.xlsx?status=submitted", cy).await;
    a.expect(x, 200, "the order queue as Excel");

    // menus
    let menu = a.ok_get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "助老陪伴")
        .map(id)
        .expect("助老陪伴 on the menu");
    a.ok_get(&format!("/api/v1/sites/{}/menu", w.hd1), None).await;
    a.ok_post(
        &format!("/api/v1/sites/{}/menu/customize", w.hd1),
        Some(w.haidian.as_str()),
        json!({}),
        200,
    )
    .await;
    let added = a
        .ok_post(
            &format!("/api/v1/sites/{}/menu", w.hd1),
            Some(w.haidian.as_str()),
            json!({"category": "medical", "name": "上门换药", "skills": ["医疗护理"]}),
            201,
        )
        .await;
    a.ok_post(
        &format!("/api/v1/menu-items/{}", id(&added)),
        Some(w.haidian.as_str()),
        json!({"category": "medical", "name": "上门换药", "description": "伤口换药", "active": false, "position": 3}),
        200,
    )
    .await;

    // ordering by phone
    let code = a
        .ok_post(
            "/api/v1/auth/phone-code",
            None,
            json!({"phone": "13912340001"}),
            200,
        )
        .await;
    a.ok_post(
        "/api/v1/auth/phone-login",
        None,
        json!({"phone": "13912340001", "code": code["demo_code"]}),
        200,
    )
    .await;

    // 点单 → 派单 → 接单 → 评单, and the other ways out
    let order = |people: i64| {
        json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼2单元501", "lat": 39.9087,
               "lon": 116.45, "window_start": at(Duration::hours(3)), "window_end": at(Duration::hours(5)),
               "people": people, "notes": "老人腿脚不便", "contact_name": "张大妈", "contact_phone": "13800138000"})
    };
    let mut orders = Vec::new();
    for _ in 0..4 {
        orders.push(id(&a.ok_post("/api/v1/orders", res, order(1), 201).await));
    }
    a.ok_get("/api/v1/orders/mine?per_page=2&page=2", res).await;
    a.ok_get("/api/v1/orders/queue?status=submitted,dispatched", jw)
        .await;
    let bad_status = a.get("/api/v1/orders/queue?status=lost", jw).await;
    a.expect(bad_status, 400, "an unknown order state");
    a.ok_get(&format!("/api/v1/orders/{}", orders[0]), res).await;
    a.ok_get(&format!("/api/v1/orders/{}/dispatch", orders[0]), jw)
        .await;
    a.ok_post(
        &format!("/api/v1/orders/{}/dispatch", orders[0]),
        jw,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self], "note": "请联系张大妈"}),
        200,
    )
    .await;
    let for_me = a.ok_get("/api/v1/orders/for-me", vol).await;
    let offer = for_me["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["order"]["id"] == orders[0])
        .map(|x| id(&x["offer"]))
        .expect("the offer");
    a.ok_post(
        &format!("/api/v1/order-offers/{offer}/accept"),
        vol,
        json!({}),
        200,
    )
    .await;
    support::app::begun(&t.app, orders[0]).await;
    a.ok_post(
        &format!("/api/v1/orders/{}/complete", orders[0]),
        vol,
        json!({"report": "陪老人聊天", "minutes": [{"volunteer_id": w.v_self, "minutes": 100}]}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/orders/{}/rate", orders[0]),
        res,
        json!({"rating": 5, "comment": "很耐心"}),
        200,
    )
    .await;
    let rated_twice = a
        .post(
            &format!("/api/v1/orders/{}/rate", orders[0]),
            res,
            json!({"rating": 4}),
        )
        .await;
    a.expect(rated_twice, 409, "rating twice");
    a.ok_post(
        &format!("/api/v1/orders/{}/dispatch", orders[1]),
        cy,
        json!({"target": "team", "team_ids": [w.team_a]}),
        200,
    )
    .await;
    let for_team = a.ok_get("/api/v1/orders/for-me", team).await;
    let team_offer = for_team["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["order"]["id"] == orders[1])
        .map(|x| id(&x["offer"]))
        .expect("the team's offer");
    a.ok_post(
        &format!("/api/v1/order-offers/{team_offer}/decline"),
        team,
        json!({"reason": "人手不足"}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/orders/{}/reject", orders[2]),
        jw,
        json!({"reason": "不在服务范围"}),
        200,
    )
    .await;
    a.ok_post(
        &format!("/api/v1/orders/{}/cancel", orders[3]),
        res,
        json!({"reason": ""}),
        200,
    )
    .await;
    a.ok_get("/api/v1/orders/stats?region=110105", cy).await;
    let notices = a.ok_get("/api/v1/notices", jw).await;
    let nid = notices["items"][0]["id"].as_i64().expect("a notice");
    let read = a.post_empty(&format!("/api/v1/notices/{nid}/read"), jw).await;
    a.expect(read, 204, "marking a notice read");
    a.ok_post("/api/v1/notices/read-all", jw, json!({}), 200).await;

    // Idempotency-Key: a replay, and the same key for another request
    let keyed = |body: Value| Some(("application/json", body.to_string().into_bytes()));
    let entry = json!({"organization_id": w.team_a, "activity": "重放测试", "service_date": today, "place": "建外",
                       "content": "x", "person_in_charge": "王队长", "entries": [{"volunteer_id": w.v_a, "minutes": 60}]});
    for want in [201, 201] {
        let r = a
            .send(
                "post",
                "/api/v1/records/team-entry",
                team,
                &[("Idempotency-Key", "doc-key-1")],
                keyed(entry.clone()),
            )
            .await;
        a.expect(r, want, "a keyed team entry");
    }
    let mut other = entry.clone();
    other["place"] = json!("别处");
    let r = a
        .send(
            "post",
            "/api/v1/records/team-entry",
            team,
            &[("Idempotency-Key", "doc-key-1")],
            keyed(other),
        )
        .await;
    a.expect(r, 422, "a reused key");

    // sessions end last
    a.post_empty("/api/v1/auth/logout", Some(spare.as_str())).await;
    let gone = a.get("/api/v1/me", Some(spare.as_str())).await;
    a.expect(gone, 401, "a logged-out token");
    a.post_empty("/api/v1/auth/logout-everywhere", Some(w.tianjin.as_str()))
        .await;

    probe(&mut a, &w).await;

    // every operation answered 2xx at least once
    let mut unexercised = Vec::new();
    for op in a.ops.clone() {
        let ok = a
            .seen
            .get(&op)
            .is_some_and(|s| s.iter().any(|st| (200..300).contains(st)));
        if !ok {
            unexercised.push(format!("{} {} (seen {:?})", op.0, op.1, a.seen.get(&op)));
        }
    }
    if !unexercised.is_empty() {
        a.failures.push(format!(
            "operations never answered 2xx in this test: {unexercised:#?}"
        ));
    }
    let report: Vec<String> = a
        .seen
        .iter()
        .map(|((m, p), s)| format!("{m} {p}: {s:?}"))
        .collect();
    eprintln!("statuses seen:\n{}", report.join("\n"));
    assert!(
        a.failures.is_empty(),
        "{} disagreements with the OpenAPI document:\n{}",
        a.failures.len(),
        a.failures.join("\n")
    );
}

/// Every operation once more, the ways a client can get it wrong.
async fn probe(a: &mut Checked<'_>, w: &world::World) {
    let ops = a.ops.clone();
    for (method, template) in ops {
        let op = a.doc["paths"][&template][&method].clone();
        let bearer = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        let write = method != "get";
        let json_body = op["requestBody"]["required"] == true;
        let Some(ex) = a.examples.get(&(method.clone(), template.clone())).cloned() else {
            continue;
        };
        let body = || {
            ex.body
                .as_ref()
                .map(|b| ("application/json", b.to_string().into_bytes()))
        };
        // no token
        if bearer {
            let r = a.send(&method, &ex.path, None, &[], body()).await;
            a.expect(r, 401, &format!("{method} {template} without a token"));
        }
        // a malformed and an unknown id, as the caller that succeeded
        let segs: Vec<&str> = template.split('/').collect();
        let real: Vec<&str> = ex.path.split('?').next().unwrap().split('/').collect();
        let with_id = |id: &str| {
            segs.iter()
                .zip(&real)
                .map(|(t, r)| if t.starts_with('{') { id } else { *r })
                .collect::<Vec<_>>()
                .join("/")
        };
        if segs.iter().any(|s| s.starts_with('{')) {
            let int_param = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["in"] == "path" && p["schema"]["type"] == "integer")
            });
            if int_param {
                let r = a
                    .send(&method, &with_id("x1"), ex.token.as_deref(), &[], body())
                    .await;
                a.expect(r, 400, &format!("{method} {template} with a malformed id"));
            }
            let unknown = if int_param {
                "987654321"
            } else {
                "ZY0000000000-NOSUCH00"
            };
            a.send(&method, &with_id(unknown), ex.token.as_deref(), &[], body())
                .await;
        }
        // other callers may read; every query parameter with a value it cannot be
        if !write {
            for tok in [&w.resident, &w.volunteer, &w.haidian] {
                a.get(&ex.path, Some(tok.as_str())).await;
            }
            let bare = ex.path.split('?').next().unwrap().to_owned();
            for p in op["parameters"].as_array().cloned().unwrap_or_default() {
                if p["in"] != "query" {
                    continue;
                }
                let name = p["name"].as_str().unwrap();
                let typ = p["schema"]["type"].to_string();
                let bad = if typ.contains("integer") || typ.contains("number") || typ.contains("boolean") {
                    "abc"
                } else {
                    "%3Cx%3E"
                };
                a.get(&format!("{bare}?{name}={bad}"), ex.token.as_deref()).await;
            }
        }
        // a body that is not declared JSON
        if json_body {
            let b = ex.body.clone().unwrap_or(json!({})).to_string().into_bytes();
            let r = a
                .send(
                    &method,
                    &ex.path,
                    ex.token.as_deref(),
                    &[],
                    Some(("text/plain", b)),
                )
                .await;
            a.expect(r, 415, &format!("{method} {template} with a text body"));
            let r = a
                .send(
                    &method,
                    &ex.path,
                    ex.token.as_deref(),
                    &[],
                    Some(("application/json", b"{\"unclosed\": ".to_vec())),
                )
                .await;
            a.expect(r, 400, &format!("{method} {template} with broken JSON"));
        }
        // a bad Idempotency-Key
        if write {
            let r = a
                .send(
                    &method,
                    &ex.path,
                    ex.token.as_deref(),
                    &[("Idempotency-Key", "bad key")],
                    body(),
                )
                .await;
            a.expect(r, 400, &format!("{method} {template} with a bad key"));
        }
    }
}

both_backends!(every_operation_answers_as_documented);
