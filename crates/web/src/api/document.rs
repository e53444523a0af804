//! What the OpenAPI document says beyond each handler's own annotation, derived from what the
//! edge really does so that the document stays true:
//!
//! - the error responses every operation shares, from how it is served: 400 for any path, query,
//!   header or body that cannot be read; 401 and the cross-site 403 of the bearer extractor; 409,
//!   413 and 422 of the `Idempotency-Key` middleware on every write; 415 of the JSON body
//!   extractor; 500 everywhere. What a use case refuses (403, 404, 409, 422, 429) is listed by
//!   the handler itself.
//! - the `Idempotency-Key` header on every write;
//! - the values of the string fields that hold a domain state, from the domain's own lists.
//!
//! `tests/openapi.rs` runs every operation against the document and fails on any status or body
//! it does not declare.

use serde_json::{json, Value};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use zhiyuan_domain::auth::{MembershipStatus, OrgKind, Role, SiteLevel};
use zhiyuan_domain::network::RegionLevel;
use zhiyuan_domain::orders::{AssigneeKind, OfferStatus, OrderStatus};
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};

/// The shared error responses: status, component name, description.
const COMMON: [(&str, &str, &str); 10] = [
    (
        "400",
        "BadRequest",
        "A path, query, header or body that cannot be read (`request_invalid`, `json_malformed`, \
         `idempotency_key_invalid`, `status_invalid`, …).",
    ),
    (
        "401",
        "Unauthorized",
        "No session, or a token that is unknown or ended (`unauthenticated`).",
    ),
    (
        "403",
        "Forbidden",
        "Outside the caller's role or scope (`forbidden`), or a cookie-borne write from another \
         site (`cross_site_refused`).",
    ),
    (
        "404",
        "NotFound",
        "No such thing with that id or number (`not_found`, or a code naming it).",
    ),
    (
        "409",
        "Conflict",
        "The state does not allow it (codes per operation), or a request with the same \
         `Idempotency-Key` is still in flight (`idempotency_key_in_flight`).",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is over 256 KiB (`payload_too_large`).",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not sent as `Content-Type: application/json` (`content_type_invalid`).",
    ),
    (
        "422",
        "Unprocessable",
        "Invalid input, every bad field in `fields` (codes per field), a body of the wrong shape \
         (`json_invalid`), or an `Idempotency-Key` already used for another request \
         (`idempotency_key_reused`).",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many failed attempts; locked for 15 minutes (`too_many_attempts`).",
    ),
    (
        "500",
        "Internal",
        "An internal error (`internal`); the request id identifies it in the log.",
    ),
];

fn common_ref(status: &str) -> RefOr<utoipa::openapi::Response> {
    let (_, name, _) = COMMON
        .iter()
        .find(|(s, _, _)| *s == status)
        .expect("a common response");
    RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
}

/// Completes the generated document; see the module documentation.
pub fn complete(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in COMMON {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    for item in doc.paths.paths.values_mut() {
        for (write, op) in [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ] {
            if let Some(op) = op {
                shared_responses(op, write);
            }
        }
    }
    page_items_by_ref(doc);
    domain_values(doc);
}

/// `PageOf<T>` is generated with `T` inlined; point its items at `T`'s component instead, so that
/// what is declared of `T` (its enums among them) holds in pages too.
fn page_items_by_ref(doc: &mut OpenApi) {
    let schemas = &mut doc.components.as_mut().expect("components").schemas;
    let pages: Vec<String> = schemas
        .keys()
        .filter(|k| k.starts_with("PageOf_"))
        .cloned()
        .collect();
    for page in pages {
        let item = &page["PageOf_".len()..];
        assert!(schemas.contains_key(item), "OpenAPI: {page} of an unknown {item}");
        let Some(RefOr::T(Schema::Object(o))) = schemas.get_mut(&page) else {
            panic!("OpenAPI: {page} is not an object schema");
        };
        o.properties.insert(
            "items".to_owned(),
            RefOr::T(Schema::Array(
                ArrayBuilder::new().items(Ref::from_schema_name(item)).build(),
            )),
        );
    }
}

fn shared_responses(op: &mut Operation, write: bool) {
    let bearer = op.security.as_ref().is_some_and(|reqs| {
        reqs.iter().any(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.get("bearer").cloned())
                .is_some()
        })
    });
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    // a required body is read by `ApiJson` (which wants application/json); an optional one
    // is read as bytes and parsed when not empty
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| matches!(b.required, Some(Required::True)));
    let mut add = vec!["500"];
    if has_params || op.request_body.is_some() || write {
        add.push("400");
    }
    if bearer {
        add.push("401");
    }
    if bearer && write {
        add.push("403");
    }
    if write {
        add.extend(["409", "413", "422"]);
        op.parameters.get_or_insert_with(Vec::new).push(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Makes a retry safe: the first 2xx answer to a key is saved for 24 h and \
                     replayed (with `Idempotent-Replayed: true`) to the same request; another \
                     request with the key is refused 422, one while the first runs 409.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(200))
                        .pattern(Some("^[!-~]+$")),
                ))
                .build(),
        );
    }
    if json_body {
        add.push("415");
    }
    for status in add {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| common_ref(status));
    }
    // a handler's own `(status = 404, body = ErrorBody)` gets the shared description
    for (status, resp) in op.responses.responses.iter_mut() {
        let plain = matches!(resp, RefOr::T(r) if r.description.is_empty());
        if plain && COMMON.iter().any(|(s, _, _)| s == status) {
            *resp = common_ref(status);
        }
    }
}

fn codes<T: Copy, const N: usize>(all: [T; N], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.into_iter().map(f).collect()
}

/// The values a string field holds, declared from the domain's lists (or, where the app keeps
/// them, the app's literals).
fn domain_values(doc: &mut OpenApi) {
    let order = codes(OrderStatus::ALL, OrderStatus::as_str);
    let role = codes(Role::ALL, Role::as_str);
    let grantable: Vec<&str> = role.iter().copied().filter(|r| *r != "volunteer").collect();
    let site_level = codes(SiteLevel::ALL, SiteLevel::as_str);
    let org_kind = codes(OrgKind::ALL, OrgKind::as_str);
    let membership = codes(MembershipStatus::ALL, MembershipStatus::as_str);
    let project = codes(ProjectStatus::ALL, ProjectStatus::as_str);
    let sign_up = codes(SignUpStatus::ALL, SignUpStatus::as_str);
    let assignee = codes(AssigneeKind::ALL, AssigneeKind::as_str);
    let offer = codes(OfferStatus::ALL, OfferStatus::as_str);
    let region_level = codes(RegionLevel::ALL, RegionLevel::as_str);
    let record_status = vec!["pending", "confirmed", "rejected"];
    let record_source = vec!["checkin", "team", "declared"];
    let method = vec!["qr", "roster", "offline"];
    let notice = vec![
        "submitted",
        "dispatched",
        "accepted",
        "declined",
        "rejected",
        "cancelled",
        "completed",
        "rated",
        "escalated",
        "overdue",
    ];
    let fields: Vec<(&str, &str, Vec<&str>)> = vec![
        ("Caller", "role", role.clone()),
        ("AccountInput", "role", grantable.clone()),
        ("AccountView", "role", grantable.clone()),
        ("RegionView", "level", region_level.clone()),
        ("SiteView", "level", site_level.clone()),
        ("SiteInput", "level", site_level.clone()),
        ("OrgView", "kind", org_kind.clone()),
        ("OrgInput", "kind", org_kind.clone()),
        ("VolunteerView", "gender", vec!["male", "female"]),
        ("MembershipView", "status", membership.clone()),
        ("ProjectView", "status", project.clone()),
        ("StatusInput", "status", project.clone()),
        ("SignUpView", "status", sign_up.clone()),
        ("SignUpView", "checkin_method", method.clone()),
        ("SignUpView", "checkout_method", method.clone()),
        ("OfflineOutcome", "outcome", vec!["accepted", "replay", "refused"]),
        ("RecordView", "status", record_status.clone()),
        ("RecordView", "source", record_source.clone()),
        ("OrderView", "status", order.clone()),
        ("OrderView", "assignee_kind", assignee.clone()),
        (
            "OrderView",
            "can",
            vec!["dispatch", "reject", "cancel", "complete", "rate"],
        ),
        ("OfferView", "kind", vec!["team", "site", "volunteer"]),
        ("OfferView", "status", offer.clone()),
        ("DispatchInput", "target", assignee.clone()),
        ("StatusCount", "status", order.clone()),
        ("NoticeView", "kind", notice.clone()),
        (
            "Verification",
            "reason",
            vec![
                "signature_missing",
                "signature_mismatch",
                "tampered",
                "inconsistent",
                "records_changed",
            ],
        ),
    ];
    // query values the server refuses outside a set
    let params: Vec<(&str, &str, Vec<&str>)> =
        vec![("/api/v1/organizations/{id}/members", "status", membership.clone())];
    for (path, name, values) in params {
        let op = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
            .unwrap_or_else(|| panic!("OpenAPI: no GET {path}"));
        let param = op
            .parameters
            .iter_mut()
            .flatten()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("OpenAPI: GET {path} has no {name}"));
        match param.schema.as_mut() {
            Some(RefOr::T(Schema::Object(f))) => set_enum(f, &values),
            _ => panic!("OpenAPI: GET {path} {name} is not a plain schema"),
        }
    }
    let schemas = &mut doc.components.as_mut().expect("components").schemas;
    for (schema, field, values) in fields {
        let Some(RefOr::T(Schema::Object(o))) = schemas.get_mut(schema) else {
            panic!("OpenAPI: no object schema {schema}");
        };
        let prop = o
            .properties
            .get_mut(field)
            .unwrap_or_else(|| panic!("OpenAPI: {schema} has no {field}"));
        match prop {
            RefOr::T(Schema::Object(f)) => set_enum(f, &values),
            RefOr::T(Schema::Array(a)) => match &mut a.items {
                ArrayItems::RefOrSchema(item) => match item.as_mut() {
                    RefOr::T(Schema::Object(f)) => set_enum(f, &values),
                    _ => panic!("OpenAPI: {schema}.{field} items are not a plain schema"),
                },
                _ => panic!("OpenAPI: {schema}.{field} has no items"),
            },
            _ => panic!("OpenAPI: {schema}.{field} is not a plain schema"),
        }
    }
}

fn set_enum(f: &mut Object, values: &[&str]) {
    let nullable = matches!(&f.schema_type, SchemaType::Array(ts) if ts.contains(&Type::Null));
    let mut v: Vec<Value> = values.iter().map(|s| json!(s)).collect();
    if nullable {
        v.push(Value::Null);
    }
    f.enum_values = Some(v);
}
