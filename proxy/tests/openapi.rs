//! `proxy/openapi.yaml` stays in step with the API types: every body the proxy writes (over
//! real HTTP, for each route and status the test reaches, plus a page holding every coupon
//! kind, state and use method) matches the schema documented for it, and every property
//! the document declares is written by at least one of them.

mod common;
use common::*;
use coupon_proxy::UpstreamError;
use coupon_rules::api::{ClaimRequest, CouponPage, MissingSource, WalletSource};
use serde_json::Value;
use std::collections::BTreeSet;

struct Spec {
    doc: Value,
    /// Pointers of the properties some body has written (`#/components/schemas/Coupon/properties/id`).
    covered: BTreeSet<String>,
}

impl Spec {
    fn load() -> Spec {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
        Spec {
            doc: serde_yaml::from_str(&text).expect("openapi.yaml is YAML"),
            covered: BTreeSet::new(),
        }
    }

    fn resolve(&self, pointer: &str) -> Value {
        self.doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{pointer} is not in openapi.yaml"))
            .clone()
    }

    /// The schema of the JSON answer `method path` gives with `status`.
    fn response_schema(&self, method: &str, path: &str, status: u16) -> (Value, String) {
        let at = format!(
            "#/paths/{}/{method}/responses/{status}",
            path.replace('~', "~0").replace('/', "~1")
        );
        let mut response = self.resolve(&at);
        if let Some(r) = response.get("$ref").and_then(Value::as_str) {
            response = self.resolve(r);
        }
        let schema = response
            .pointer("/content/application~1json/schema")
            .unwrap_or_else(|| panic!("{at} documents no JSON body"))
            .clone();
        (schema, at)
    }

    fn check_response(&mut self, method: &str, path: &str, status: u16, body: &Value) {
        let (schema, at) = self.response_schema(method, path, status);
        if let Err(e) = self.check(&schema, &at, body, "") {
            panic!("{method} {path} → {status} does not match openapi.yaml: {e}\n{body:#}");
        }
    }

    fn check_schema(&mut self, name: &str, body: &Value) {
        let at = format!("#/components/schemas/{name}");
        let schema = self.resolve(&at);
        if let Err(e) = self.check(&schema, &at, body, "") {
            panic!("a {name} does not match openapi.yaml: {e}");
        }
    }

    fn check(&mut self, schema: &Value, at: &str, value: &Value, path: &str) -> Result<(), String> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return self.check(&self.resolve(r), r, value, path);
        }
        if value.is_null() {
            return if schema["nullable"] == true {
                Ok(())
            } else {
                Err(format!("{path}: null where the schema allows none"))
            };
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for (i, s) in all.iter().enumerate() {
                self.check(s, &format!("{at}/allOf/{i}"), value, path)?;
            }
        }
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            let mut reasons = Vec::new();
            let matched = alternatives.iter().enumerate().find_map(|(i, s)| {
                let before = self.covered.clone();
                match self.check(s, &format!("{at}/oneOf/{i}"), value, path) {
                    Ok(()) => Some(()),
                    Err(e) => {
                        self.covered = before;
                        reasons.push(e);
                        None
                    }
                }
            });
            return matched
                .ok_or_else(|| format!("{path}: matches no alternative ({})", reasons.join("; ")));
        }
        let kind = schema.get("type").and_then(Value::as_str);
        let fits = match kind {
            None => true,
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            Some(other) => return Err(format!("{at}: unknown type {other}")),
        };
        if !fits {
            return Err(format!("{path}: {value} is not of type {}", kind.unwrap_or_default()));
        }
        if let (Some(allowed), Some(s)) =
            (schema.get("enum").and_then(Value::as_array), value.as_str())
        {
            if !allowed.iter().any(|a| a == s) {
                return Err(format!("{path}: {s:?} is not one of {allowed:?}"));
            }
        }
        if schema["format"] == "date-time" {
            chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
                .map_err(|e| format!("{path}: {value} is not date-time: {e}"))?;
        }
        if let (Some(items), Some(elements)) = (schema.get("items"), value.as_array()) {
            for (i, element) in elements.iter().enumerate() {
                self.check(items, &format!("{at}/items"), element, &format!("{path}[{i}]"))?;
            }
        }
        let describes_members = schema.get("properties").is_some() || kind == Some("object");
        if let Some(object) = value.as_object().filter(|_| describes_members) {
            let properties =
                schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    return Err(format!("{path}.{name}: required by the schema, not written"));
                }
            }
            for (key, member) in object {
                let property = properties
                    .get(key)
                    .ok_or_else(|| format!("{path}.{key}: written but not documented at {at}"))?;
                let pointer = format!("{at}/properties/{key}");
                self.check(property, &pointer, member, &format!("{path}.{key}"))?;
                self.covered.insert(pointer);
            }
        }
        Ok(())
    }

    /// Every property pointer the document declares under its schemas.
    fn declared(&self) -> BTreeSet<String> {
        fn walk(v: &Value, at: &str, out: &mut BTreeSet<String>) {
            match v {
                Value::Object(map) => {
                    for (k, child) in map {
                        let here = format!("{at}/{k}");
                        if k == "properties" {
                            for name in child.as_object().into_iter().flat_map(|m| m.keys()) {
                                out.insert(format!("{here}/{name}"));
                            }
                        }
                        walk(child, &here, out);
                    }
                }
                Value::Array(items) => {
                    items.iter().enumerate().for_each(|(i, c)| walk(c, &format!("{at}/{i}"), out))
                }
                _ => {}
            }
        }
        let mut out = BTreeSet::new();
        walk(&self.doc["components"]["schemas"], "#/components/schemas", &mut out);
        out
    }
}

#[tokio::test]
async fn every_body_the_proxy_writes_matches_openapi_yaml_and_every_documented_property_is_written()
{
    let mut spec = Spec::load();
    let token = "order-system-token-0123456789abcdef";
    let p = TestProxy::with(|s| s.redemption_token = Some(token.into())).await;

    let health: Value = p.http.get(p.url("/health")).send().await.unwrap().json().await.unwrap();
    spec.check_response("get", "/health", 200, &health);
    let (status, body) = p.get("", "/coupons").await;
    spec.check_response("get", "/coupons", status, &body);
    let users: Value = p.http.get(p.url("/dev/users")).send().await.unwrap().json().await.unwrap();
    spec.check_response("get", "/dev/users", 200, &users);
    let unsigned = p.http.post(p.url("/wechatpay/notifications")).body("{}").send().await.unwrap();
    let status = unsigned.status().as_u16();
    let refusal: Value = unsigned.json().await.unwrap();
    spec.check_response("post", "/wechatpay/notifications", status, &refusal);
    let redemption = serde_json::json!({ "order_id": "ORDER-1", "openid": "o_sandbox_demo",
        "coupon_code": "SBXM000002", "stock_id": "SBX_BF_NORMAL" });
    spec.check_schema("RedemptionRequest", &redemption);
    for authorization in [format!("Bearer {token}"), "Bearer no".into()] {
        let r = p.http.post(p.url("/merchant/redemptions")).header("authorization", authorization);
        let r = r.json(&redemption).send().await.unwrap();
        let status = r.status().as_u16();
        spec.check_response("post", "/merchant/redemptions", status, &r.json().await.unwrap());
    }

    let me = p.login("o_sandbox_demo").await;
    for path in [
        "/session",
        "/claimable",
        "/coupons?tab=available&limit=50",
        "/coupons?tab=used&limit=50",
        "/coupons?tab=expired&limit=50",
        "/coupons?limit=500",
        "/coupons?colour=red",
    ] {
        let (status, body) = p.get(&me, path).await;
        spec.check_response("get", path.split('?').next().unwrap(), status, &body);
    }
    let (_, page) = p.get(&me, "/coupons?limit=50").await;
    for c in page["coupons"].as_array().unwrap().iter().take(5) {
        let (status, body) = p
            .get(
                &me,
                &format!(
                    "/coupons/{}/{}",
                    c["source"].as_str().unwrap(),
                    c["id"].as_str().unwrap()
                ),
            )
            .await;
        spec.check_response("get", "/coupons/{source}/{id}", status, &body);
    }
    let (status, body) = p.get(&me, "/coupons/merchant/NO_SUCH_CODE").await;
    spec.check_response("get", "/coupons/{source}/{id}", status, &body);

    let csrf = p.csrf(&me).await;
    let (_, claimable) = p.get(&me, "/claimable").await;
    for stock in claimable["stocks"].as_array().unwrap() {
        let request = ClaimRequest {
            stock_id: stock["stock_id"].as_str().unwrap().to_owned(),
            client_key: "openapi-test-key-1".into(),
        };
        let request = serde_json::to_value(&request).unwrap();
        spec.check_schema("ClaimRequest", &request);
        let (status, body) = p.post(&me, Some(&csrf), "/claims", &request).await;
        spec.check_response("post", "/claims", status, &body);
    }
    let (status, body) = p.post(&me, None, "/claims", &serde_json::json!({})).await;
    spec.check_response("post", "/claims", status, &body);

    // A page with every coupon kind, state and use method, written as the proxy writes pages.
    let now = coupon_proxy::now();
    let missing = vec![MissingSource {
        source: WalletSource::Balance,
        error: coupon_proxy::ApiError::from(UpstreamError::Rejected {
            status: 403,
            code: "NOAUTH".into(),
            message: String::new(),
            signed: true,
        })
        .info(),
    }];
    let every = CouponPage {
        coupons: coupon_rules::sample::every_variant(now),
        total: 6,
        limit: 20,
        missing,
        truncated: true,
        ..CouponPage::default()
    };
    spec.check_schema("CouponPage", &serde_json::to_value(&every).unwrap());

    let never_written: Vec<String> = spec.declared().difference(&spec.covered).cloned().collect();
    assert!(
        never_written.is_empty(),
        "documented in openapi.yaml but never written: {never_written:#?}"
    );
}

#[test]
fn the_documented_error_codes_are_the_enums_own() {
    use coupon_rules::api::ErrorCode;
    let spec = Spec::load().resolve("#/components/schemas/ErrorInfo/properties/code");
    let names = spec["enum"].as_array().expect("the codes are an enum");
    let codes: BTreeSet<String> = names
        .iter()
        .map(|name| {
            let code: ErrorCode = serde_json::from_value(name.clone()).unwrap();
            assert_ne!(code, ErrorCode::Unknown, "{name} is not an ErrorCode");
            assert_eq!(code.to_string(), name.as_str().unwrap(), "the same spelling both ways");
            code.to_string()
        })
        .collect();
    assert_eq!(codes.len(), names.len(), "each code once");
    for widgets_own in [ErrorCode::Network, ErrorCode::Timeout, ErrorCode::BadResponse] {
        assert!(
            !codes.contains(&widgets_own.to_string()),
            "{widgets_own} is the widget's, not the API's"
        );
    }
}
