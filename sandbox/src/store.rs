//! The sandbox's data and the semantics the seeds document for each call.

use super::{wx_error, Answer, Stats};
use crate::identity as id;
use axum::http::{Method, StatusCode, Uri};
use coupon_rules::BeijingTime;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// Stocks the sandbox lets users claim (发放代金券), in the data set's terms.
pub const CLAIMABLE_STOCKS: [&str; 2] = ["SBX_STOCK_CLAIM_500", "SBX_STOCK_SOLD_OUT"];

#[derive(Debug, Clone, Deserialize)]
pub struct DataFile {
    /// The Beijing date the data set's times were written for (`YYYY-MM-DD`).
    pub anchor: String,
    pub stocks: Vec<StockDef>,
    pub users: Vec<UserData>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct StockDef {
    pub stock_id: String,
    pub name: String,
    pub amount: i64,
    pub minimum: i64,
    pub remaining: u32,
    pub max_per_user: u32,
    pub days_valid: i64,
    /// Coupons issued so far (查询批次详情's `distributed_coupons`).
    #[serde(default)]
    pub distributed: u32,
    /// `running`, `paused` or `stoped`, as WeChat spells them.
    #[serde(default = "running")]
    pub status: String,
}

fn running() -> String {
    "running".into()
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct UserData {
    pub openid: String,
    pub label: String,
    /// Move this user's times forward by whole weeks so the data set stays current.
    pub shift_times: bool,
    pub merchant_coupons: Vec<Value>,
    pub stock_coupons: Vec<Value>,
}

struct Claim {
    openid: String,
    stock_id: String,
    coupon_id: String,
}

struct Data {
    stocks: HashMap<String, StockDef>,
    users: HashMap<String, UserData>,
    order: Vec<String>,
    claims: HashMap<String, Claim>,
    next_id: u64,
}

pub struct Store {
    data: Mutex<Data>,
    /// The notification URLs registered with 设置消息通知地址: 代金券's, then 商家券's.
    callbacks: Mutex<(Option<String>, Option<String>)>,
    now: fn() -> BeijingTime,
}

fn clock() -> BeijingTime {
    BeijingTime::from_unix_millis(coupon_wechatpay::unix_now() * 1000)
}

impl Store {
    /// Loads a data file, shifting its times by whole weeks from its anchor to `today`
    /// (weekday slots stay on their weekdays).
    pub fn load(text: &str, today: BeijingTime) -> Result<Store, String> {
        let file: DataFile =
            serde_json::from_str(text).map_err(|e| format!("sandbox data: {e}"))?;
        let anchor = BeijingTime::parse_rfc3339(&format!("{}T00:00:00+08:00", file.anchor))
            .map_err(|e| format!("sandbox data anchor: {e}"))?;
        let weeks = (today.date() - anchor.date()).num_days().div_euclid(7);
        let shift_ms = weeks * 7 * 86_400_000;
        let mut users = HashMap::new();
        let mut order = Vec::new();
        for mut u in file.users {
            if u.shift_times && shift_ms != 0 {
                u.merchant_coupons
                    .iter_mut()
                    .chain(u.stock_coupons.iter_mut())
                    .for_each(|c| shift_times(c, shift_ms));
            }
            order.push(u.openid.clone());
            users.insert(u.openid.clone(), u);
        }
        Ok(Store {
            callbacks: Mutex::new((None, None)),
            data: Mutex::new(Data {
                stocks: file.stocks.into_iter().map(|s| (s.stock_id.clone(), s)).collect(),
                users,
                order,
                claims: HashMap::new(),
                next_id: 1,
            }),
            now: clock,
        })
    }

    /// Marks a 商家券 used now, as a till on another device would (for tests and the demo).
    pub fn use_merchant_coupon(&self, openid: &str, code: &str) -> bool {
        let now = (self.now)().to_rfc3339();
        let mut d = self.data.lock().expect("sandbox data lock");
        let Some(c) = d.users.get_mut(openid).and_then(|u| {
            u.merchant_coupons
                .iter_mut()
                .find(|c| c.get("coupon_code").and_then(Value::as_str) == Some(code))
        }) else {
            return false;
        };
        c["coupon_state"] = json!("USED");
        c["use_time"] = json!(now);
        c["use_request_no"] = json!(format!("SBXUSE{code}"));
        true
    }

    /// Marks a 代金券 used now, as a till would; the coupon as WeChat's `COUPON.USE`
    /// notification carries it, or `None` if the user holds no such usable coupon.
    pub fn use_stock_coupon(&self, openid: &str, coupon_id: &str) -> Option<Value> {
        let now = (self.now)().to_rfc3339();
        let mut d = self.data.lock().expect("sandbox data lock");
        let c = d.users.get_mut(openid)?.stock_coupons.iter_mut().find(|c| {
            c.get("coupon_id").and_then(Value::as_str) == Some(coupon_id)
                && c.get("status").and_then(Value::as_str) == Some("SENDED")
        })?;
        c["status"] = json!("USED");
        c["consume_information"] = json!({
            "consume_time": now,
            "consume_mchid": id::MCHID,
            "transaction_id": format!("4200000000{}", coupon_id.len()),
        });
        Some(public(c))
    }

    /// 核销用户券: the merchant redeems a user's 商家券. Idempotent on `use_request_no`: the
    /// same request again answers as the first did; another request for a used coupon fails.
    fn use_coupon(&self, body: &[u8]) -> Answer {
        #[derive(Deserialize)]
        struct UseRequest {
            coupon_code: String,
            stock_id: String,
            appid: String,
            use_time: String,
            use_request_no: String,
            openid: String,
        }
        let Ok(r) = serde_json::from_slice::<UseRequest>(body) else {
            return wx_error(400, "PARAM_ERROR", "参数错误");
        };
        if r.appid != id::APPID {
            return wx_error(400, "APPID_MCHID_NOT_MATCH", "appid与请求方商户无关联关系");
        }
        if BeijingTime::parse_rfc3339(&r.use_time).is_err() || r.use_request_no.is_empty() {
            return wx_error(400, "PARAM_ERROR", "use_time或use_request_no格式不正确");
        }
        let mut d = self.data.lock().expect("sandbox data lock");
        let Some(user) = d.users.get_mut(&r.openid) else {
            return wx_error(404, "USER_NOT_EXISTS", "openid不正确");
        };
        let Some(c) = user.merchant_coupons.iter_mut().find(|c| {
            c.get("coupon_code").and_then(Value::as_str) == Some(r.coupon_code.as_str())
                && c.get("stock_id").and_then(Value::as_str) == Some(r.stock_id.as_str())
        }) else {
            return wx_error(404, "RESOURCE_NOT_EXISTS", "查询的资源不存在");
        };
        let state = c.get("coupon_state").and_then(Value::as_str).unwrap_or_default().to_owned();
        let same =
            c.get("use_request_no").and_then(Value::as_str) == Some(r.use_request_no.as_str());
        match state.as_str() {
            "SENDED" => {
                c["coupon_state"] = json!("USED");
                c["use_time"] = json!(r.use_time);
                c["use_request_no"] = json!(r.use_request_no);
            }
            "USED" if same => {}
            "USED" => return wx_error(400, "RESOURCE_ALREADY_EXISTS", "券已被核销"),
            _ => return wx_error(400, "INVALID_REQUEST", "券状态不允许核销"),
        }
        let used_at = c.get("use_time").cloned().unwrap_or(json!(r.use_time));
        Answer(
            StatusCode::OK,
            json!({ "stock_id": r.stock_id, "openid": r.openid, "wechatpay_use_time": used_at }),
        )
    }

    /// The 代金券 notification URL registered with `POST /v3/marketing/favor/callbacks`.
    pub fn favor_callback(&self) -> Option<String> {
        self.callbacks.lock().expect("callbacks lock").0.clone()
    }

    /// 设置消息通知地址 (代金券, `switch` on or off) and 设置商家券事件通知地址.
    fn set_callback(&self, body: &[u8], busifavor: bool) -> Answer {
        #[derive(Deserialize)]
        struct Callback {
            mchid: String,
            notify_url: String,
            #[serde(default)]
            switch: Option<bool>,
        }
        let Ok(c) = serde_json::from_slice::<Callback>(body) else {
            return wx_error(400, "PARAM_ERROR", "参数错误");
        };
        if c.mchid != id::MCHID {
            return wx_error(400, "PARAM_ERROR", "mchid与请求方商户号不一致");
        }
        if !c.notify_url.starts_with("https://") && !c.notify_url.starts_with("http://127.0.0.1") {
            return wx_error(400, "PARAM_ERROR", "notify_url必须为https地址");
        }
        let on = c.switch.unwrap_or(true);
        let mut callbacks = self.callbacks.lock().expect("callbacks lock");
        let slot = if busifavor { &mut callbacks.1 } else { &mut callbacks.0 };
        *slot = on.then(|| c.notify_url.clone());
        let update_time = (self.now)().to_rfc3339();
        Answer(
            StatusCode::OK,
            json!({ "update_time": update_time, "notify_url": c.notify_url, "mchid": id::MCHID }),
        )
    }

    pub fn users(&self) -> Vec<(String, String)> {
        let d = self.data.lock().expect("sandbox data lock");
        d.order
            .iter()
            .filter_map(|o| d.users.get(o))
            .map(|u| (u.openid.clone(), u.label.clone()))
            .collect()
    }

    pub fn handle(&self, stats: &Stats, method: &Method, uri: &Uri, body: &[u8]) -> Answer {
        count(stats, method, uri);
        let segments: Vec<String> = uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let query: HashMap<String, String> =
            axum::extract::Query::try_from_uri(uri).map(|q| q.0).unwrap_or_default();
        match (method.as_str(), seg.as_slice()) {
            ("GET", ["v3", "marketing", "busifavor", "users", openid, "coupons"]) => {
                self.merchant_list(openid, &query)
            }
            (
                "GET",
                ["v3", "marketing", "busifavor", "users", openid, "coupons", code, "appids", appid],
            ) => self.merchant_detail(openid, code, appid),
            ("GET", ["v3", "marketing", "favor", "users", openid, "coupons"]) => {
                self.stock_list(openid, &query)
            }
            ("GET", ["v3", "marketing", "favor", "users", openid, "coupons", id]) => {
                self.stock_detail(openid, id, &query)
            }
            ("GET", ["v3", "marketing", "favor", "stocks", stock_id]) => {
                self.stock(stock_id, &query)
            }
            ("GET", ["v3", "marketing", "favor", "stocks", stock_id, "items"]) => {
                stock_items(stock_id, &query)
            }
            ("POST", ["v3", "marketing", "favor", "users", openid, "coupons"]) => {
                self.send_coupon(openid, body)
            }
            ("POST", ["v3", "marketing", "busifavor", "coupons", "use"]) => self.use_coupon(body),
            ("POST", ["v3", "marketing", "favor", "callbacks"]) => self.set_callback(body, false),
            ("POST", ["v3", "marketing", "busifavor", "callbacks"]) => {
                self.set_callback(body, true)
            }
            ("GET", ["v3", "marketing", "busifavor", "callbacks"]) => {
                let url = self.callbacks.lock().expect("callbacks lock").1.clone();
                match url {
                    Some(url) => {
                        Answer(StatusCode::OK, json!({ "notify_url": url, "mchid": id::MCHID }))
                    }
                    None => wx_error(404, "RESOURCE_NOT_EXISTS", "未设置通知地址"),
                }
            }
            _ => wx_error(404, "RESOURCE_NOT_EXISTS", "查询的资源不存在"),
        }
    }

    fn merchant_list(&self, openid: &str, q: &HashMap<String, String>) -> Answer {
        let (offset, limit) = match list_request(q, 50) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let state = q.get("coupon_state").map(String::as_str);
        if state.is_some_and(|s| !matches!(s, "SENDED" | "USED" | "EXPIRED")) {
            return wx_error(400, "PARAM_ERROR", "coupon_state取值错误");
        }
        let d = self.data.lock().expect("sandbox data lock");
        let Some(user) = d.users.get(openid) else {
            return wx_error(404, "USER_NOT_EXISTS", "openid不正确");
        };
        let field_is = |c: &Value, field: &str, want: Option<&String>| {
            want.is_none_or(|w| c.get(field).and_then(Value::as_str) == Some(w.as_str()))
        };
        let matching: Vec<&Value> = user
            .merchant_coupons
            .iter()
            .filter(|c| field_is(c, "stock_id", q.get("stock_id")))
            .filter(|c| {
                state.is_none_or(|s| c.get("coupon_state").and_then(Value::as_str) == Some(s))
            })
            .filter(|c| field_is(c, "_creator_merchant", q.get("creator_merchant")))
            .filter(|c| field_is(c, "belong_merchant", q.get("belong_merchant")))
            .filter(|c| field_is(c, "_sender_merchant", q.get("sender_merchant")))
            .collect();
        page(&matching, offset, limit)
    }

    fn merchant_detail(&self, openid: &str, code: &str, appid: &str) -> Answer {
        if appid != id::APPID {
            return wx_error(400, "APPID_MCHID_NOT_MATCH", "appid与请求方商户无关联关系");
        }
        self.user_coupon(openid, |u| &u.merchant_coupons, "coupon_code", code)
    }

    /// One of the user's coupons, found by `field` in the list `of` picks, as WeChat sends it.
    fn user_coupon(
        &self,
        openid: &str,
        of: fn(&UserData) -> &Vec<Value>,
        field: &str,
        id: &str,
    ) -> Answer {
        let d = self.data.lock().expect("sandbox data lock");
        let Some(user) = d.users.get(openid) else {
            return wx_error(404, "USER_NOT_EXISTS", "openid不正确");
        };
        match of(user).iter().find(|c| c.get(field).and_then(Value::as_str) == Some(id)) {
            Some(c) => Answer(StatusCode::OK, public(c)),
            None => wx_error(404, "RESOURCE_NOT_EXISTS", "查询的资源不存在"),
        }
    }

    /// 查询批次详情, for the stock's creator (this merchant) only.
    fn stock(&self, stock_id: &str, q: &HashMap<String, String>) -> Answer {
        match q.get("stock_creator_mchid").map(String::as_str) {
            None => return wx_error(400, "PARAM_ERROR", "stock_creator_mchid为必填"),
            Some(id::MCHID) => {}
            Some(_) => return wx_error(403, "NOAUTH", "无权限"),
        }
        let now = (self.now)();
        let d = self.data.lock().expect("sandbox data lock");
        let Some(s) = d.stocks.get(stock_id) else {
            return wx_error(404, "RESOURCE_NOT_EXISTS", "批次不存在");
        };
        let body = json!({
            "stock_id": s.stock_id, "stock_creator_mchid": id::MCHID, "stock_name": s.name,
            "status": s.status, "create_time": now.plus_days(-30).to_rfc3339(),
            "description": "领取后即可使用",
            "stock_use_rule": {
                "max_coupons": s.remaining + s.distributed,
                "max_amount": i64::from(s.remaining + s.distributed) * s.amount,
                "max_amount_by_day": i64::from(s.remaining + s.distributed) * s.amount,
                "fixed_normal_coupon": { "coupon_amount": s.amount, "transaction_minimum": s.minimum },
                "max_coupons_per_user": s.max_per_user, "coupon_type": "NORMAL", "combine_use": false,
            },
            "available_begin_time": now.plus_days(-30).to_rfc3339(),
            "available_end_time": now.plus_days(s.days_valid).to_rfc3339(),
            "distributed_coupons": s.distributed, "no_cash": false, "singleitem": false,
            "stock_type": "NORMAL",
        });
        Answer(StatusCode::OK, body)
    }

    /// Changes a stock as the merchant platform would (pausing it, running it out); false when
    /// there is no such stock.
    pub fn update_stock(&self, stock_id: &str, change: impl FnOnce(&mut StockDef)) -> bool {
        let mut d = self.data.lock().expect("sandbox data lock");
        d.stocks.get_mut(stock_id).map(change).is_some()
    }

    /// 查询代金券详情: the coupon as it is now, in any state (used and expired included).
    fn stock_detail(&self, openid: &str, coupon_id: &str, q: &HashMap<String, String>) -> Answer {
        if let Err(refused) = check_appid(q.get("appid")) {
            return refused;
        }
        self.user_coupon(openid, |u| &u.stock_coupons, "coupon_id", coupon_id)
    }

    fn stock_list(&self, openid: &str, q: &HashMap<String, String>) -> Answer {
        let (offset, limit) = match list_request(q, 100) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let status = q.get("status").map(String::as_str);
        if status.is_some_and(|s| !matches!(s, "SENDED" | "USED" | "EXPIRED")) {
            return wx_error(400, "PARAM_ERROR", "status取值错误");
        }
        let business_type = q.get("business_type").map(String::as_str);
        if business_type.is_some_and(|b| b != "MULTIUSE") {
            return wx_error(400, "PARAM_ERROR", "business_type取值错误");
        }
        // The seeds name the creator filter both ways; stock_creator_mchid wins over available_mchid.
        let creator = q.get("creator_mchid").or(q.get("stock_creator_mchid"));
        let available = q.get("available_mchid");
        let sender = q.get("sender_mchid");
        if creator.is_none() && available.is_none() && sender.is_none() {
            return wx_error(
                400,
                "PARAM_ERROR",
                "creator_mchid、sender_mchid、available_mchid至少填一个",
            );
        }
        // Another merchant's stocks only when it has authorised this one, as WeChat Pay answers.
        if creator.is_some_and(|c| c != id::MCHID && !crate::PARTNER_MCHIDS.contains(&c.as_str())) {
            return wx_error(403, "NOAUTH", "商户号未获得该批次创建方的授权");
        }
        let now = (self.now)();
        let d = self.data.lock().expect("sandbox data lock");
        let Some(user) = d.users.get(openid) else {
            return wx_error(404, "USER_NOT_EXISTS", "openid不正确");
        };
        let str_of = |c: &Value, f: &str| c.get(f).and_then(Value::as_str).map(str::to_owned);
        let matching: Vec<&Value> = user
            .stock_coupons
            .iter()
            .filter(|c| {
                (str_of(c, "business_type").as_deref() == Some("MULTIUSE"))
                    == business_type.is_some()
            })
            .filter(|c| q.get("stock_id").is_none_or(|s| str_of(c, "stock_id").as_ref() == Some(s)))
            .filter(|c| sender.is_none_or(|s| str_of(c, "_sender_mchid").as_ref() == Some(s)))
            .filter(|c| {
                let st = str_of(c, "status");
                if let Some(creator) = creator {
                    str_of(c, "stock_creator_mchid").as_ref() == Some(creator)
                        && match status {
                            Some("SENDED") => st.as_deref() == Some("SENDED"),
                            Some("USED") => matches!(st.as_deref(), Some("SENDED" | "USED")),
                            Some("EXPIRED") => st.as_deref() == Some("EXPIRED"),
                            // Document 000: by creator, every state but expired.
                            _ => st.as_deref() != Some("EXPIRED"),
                        }
                } else if let Some(available) = available {
                    // Only usable coupons; used and expired ones cannot be returned this way.
                    available == id::MCHID && st.as_deref() == Some("SENDED") && not_past(c, now)
                } else {
                    status.is_none_or(|s| st.as_deref() == Some(s))
                }
            })
            .collect();
        if creator.is_none() && available.is_some() {
            // offset and limit do not apply to an available_mchid query.
            return page(&matching, 0, matching.len().max(1) as u64);
        }
        page(&matching, offset, limit)
    }

    fn send_coupon(&self, openid: &str, body: &[u8]) -> Answer {
        let Ok(req) = serde_json::from_slice::<Value>(body) else {
            return wx_error(400, "PARAM_ERROR", "请求体不是合法的JSON");
        };
        let field = |k: &str| {
            req.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        let (Some(stock_id), Some(out_request_no), Some(appid), Some(creator)) = (
            field("stock_id"),
            field("out_request_no"),
            field("appid"),
            field("stock_creator_mchid"),
        ) else {
            return wx_error(
                400,
                "PARAM_ERROR",
                "stock_id、out_request_no、appid、stock_creator_mchid为必填",
            );
        };
        if appid != id::APPID {
            return wx_error(400, "APPID_MCHID_NOT_MATCH", "appid与请求方商户无关联关系");
        }
        if creator != id::MCHID {
            return wx_error(403, "NOAUTH", "无权限");
        }
        let now = (self.now)();
        let mut d = self.data.lock().expect("sandbox data lock");
        if let Some(prev) = d.claims.get(&out_request_no) {
            return if prev.openid == openid && prev.stock_id == stock_id {
                Answer(StatusCode::OK, json!({ "coupon_id": prev.coupon_id }))
            } else {
                wx_error(400, "RESOURCE_ALREADY_EXISTS", "out_request_no已被使用")
            };
        }
        let Some(stock) = d.stocks.get(&stock_id).cloned() else {
            return wx_error(404, "RESOURCE_NOT_EXISTS", "批次不存在");
        };
        if stock.remaining == 0 {
            return wx_error(400, "NOT_ENOUGH", "批次预算不足");
        }
        let held = d.users.get(openid).map_or(0, |u| {
            u.stock_coupons
                .iter()
                .filter(|c| c.get("stock_id").and_then(Value::as_str) == Some(stock_id.as_str()))
                .count()
        });
        if held >= stock.max_per_user as usize {
            return wx_error(403, "RULELIMIT", "用户领取已达上限");
        }
        let coupon_id = format!("SBX{:010}", d.next_id);
        d.next_id += 1;
        let coupon = json!({
            "stock_creator_mchid": id::MCHID,
            "stock_id": stock.stock_id,
            "coupon_id": coupon_id,
            "coupon_name": stock.name,
            "status": "SENDED",
            "description": "领取后即可使用",
            "create_time": now.to_rfc3339(),
            "coupon_type": "NORMAL",
            "no_cash": false,
            "available_begin_time": now.to_rfc3339(),
            "available_end_time": now.plus_days(stock.days_valid).to_rfc3339(),
            "singleitem": false,
            "normal_coupon_information": {
                "coupon_amount": req.get("coupon_value").and_then(Value::as_i64).unwrap_or(stock.amount),
                "transaction_minimum": req.get("coupon_minimum").and_then(Value::as_i64).unwrap_or(stock.minimum),
            },
        });
        if let Some(s) = d.stocks.get_mut(&stock_id) {
            s.remaining -= 1;
            s.distributed += 1;
        }
        let user = d.users.entry(openid.to_owned()).or_insert_with(|| UserData {
            openid: openid.to_owned(),
            label: "新用户".into(),
            shift_times: false,
            merchant_coupons: Vec::new(),
            stock_coupons: Vec::new(),
        });
        user.stock_coupons.insert(0, coupon);
        d.claims.insert(
            out_request_no,
            Claim { openid: openid.to_owned(), stock_id, coupon_id: coupon_id.clone() },
        );
        Answer(StatusCode::OK, json!({ "coupon_id": coupon_id }))
    }
}

/// Which API a request calls, as fault knobs and statistics name them.
pub fn api_name(method: &Method, uri: &Uri) -> &'static str {
    let path = uri.path();
    let detail = path.contains("/appids/");
    if path.ends_with("/callbacks") {
        return "callbacks";
    }
    match (method.as_str(), path.contains("/busifavor/"), detail) {
        ("POST", true, _) => "merchant_use",
        ("GET", false, _) if path.contains("/favor/stocks/") && path.ends_with("/items") => {
            "stock_items"
        }
        ("GET", false, _) if path.contains("/favor/stocks/") => "stock_query",
        ("GET", false, _) if !path.ends_with("/coupons") => "stock_detail",
        ("GET", true, true) => "merchant_detail",
        ("GET", true, false) => "merchant_list",
        ("POST", false, _) => "send_coupon",
        _ if uri.query().is_some_and(|q| q.contains("business_type=MULTIUSE")) => "balance_list",
        _ => "stock_list",
    }
}

/// Counts a call in the statistics (消费金 lists count as stock lists).
pub fn count(stats: &Stats, method: &Method, uri: &Uri) {
    let counter = match api_name(method, uri) {
        "merchant_detail" => &stats.merchant_detail,
        "merchant_list" => &stats.merchant_list,
        "send_coupon" => &stats.send_coupon,
        "merchant_use" => &stats.merchant_use,
        "stock_detail" => &stats.stock_detail,
        "stock_query" => &stats.stock_query,
        "stock_items" => &stats.stock_items,
        "callbacks" => &stats.callbacks,
        _ => &stats.stock_list,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn check_appid(appid: Option<&String>) -> Result<(), Answer> {
    match appid {
        None => Err(wx_error(400, "PARAM_ERROR", "appid为必填")),
        Some(a) if a != id::APPID => {
            Err(wx_error(400, "APPID_MCHID_NOT_MATCH", "appid与请求方商户无关联关系"))
        }
        Some(_) => Ok(()),
    }
}

/// 查询可用单品: the goods of one of the sandbox's 单品券 stocks, paged by record offset, at
/// most ten a page, for the stock's creator or a merchant that may issue it.
fn stock_items(stock_id: &str, q: &HashMap<String, String>) -> Answer {
    match q.get("stock_creator_mchid").map(String::as_str) {
        None => return wx_error(400, "PARAM_ERROR", "stock_creator_mchid为必填"),
        Some(c) if c != id::MCHID && !crate::PARTNER_MCHIDS.contains(&c) => {
            return wx_error(403, "NOAUTH", "无权限");
        }
        Some(_) => {}
    }
    let num = |k: &str| q.get(k).map(|v| v.parse::<u64>());
    let (offset, limit) = match (num("offset"), num("limit")) {
        (Some(Ok(o)), Some(Ok(l))) if (1..=10).contains(&l) => (o, l),
        _ => return wx_error(400, "PARAM_ERROR", "offset为必填，limit取值范围为1-10"),
    };
    let Some((_, goods)) = crate::SINGLE_ITEM_GOODS.iter().find(|(s, _)| *s == stock_id) else {
        return wx_error(404, "RESOURCE_NOT_EXISTS", "批次不存在");
    };
    let data: Vec<&str> =
        goods.iter().skip(offset as usize).take(limit as usize).copied().collect();
    Answer(
        StatusCode::OK,
        json!({ "data": data, "total_count": goods.len(), "offset": offset, "limit": limit, "stock_id": stock_id }),
    )
}

/// What every list call checks first: the appid, then offset and limit.
fn list_request(q: &HashMap<String, String>, max_limit: u64) -> Result<(u64, u64), Answer> {
    check_appid(q.get("appid"))?;
    let num = |k: &str, default: u64| -> Result<u64, Answer> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => {
                v.parse().map_err(|_| wx_error(400, "PARAM_ERROR", &format!("{k}必须为非负整数")))
            }
        }
    };
    let (offset, limit) = (num("offset", 0)?, num("limit", 20)?);
    if limit == 0 || limit > max_limit {
        return Err(wx_error(400, "PARAM_ERROR", &format!("limit取值范围为1-{max_limit}")));
    }
    Ok((offset, limit))
}

fn page(matching: &[&Value], offset: u64, limit: u64) -> Answer {
    let data: Vec<Value> =
        matching.iter().skip(offset as usize).take(limit as usize).map(|c| public(c)).collect();
    Answer(
        StatusCode::OK,
        json!({ "data": data, "total_count": matching.len(), "offset": offset, "limit": limit }),
    )
}

/// A coupon as WeChat would send it: the sandbox's bookkeeping fields (`_…`) removed.
fn public(c: &Value) -> Value {
    match c {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn not_past(c: &Value, now: BeijingTime) -> bool {
    c.get("available_end_time")
        .and_then(Value::as_str)
        .and_then(|s| BeijingTime::parse_rfc3339(s).ok())
        .is_none_or(|end| end >= now)
}

fn shift_times(v: &mut Value, ms: i64) {
    match v {
        Value::String(s) => {
            if let Ok(t) = BeijingTime::parse_rfc3339(s) {
                *s = t.plus_millis(ms).to_rfc3339();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift_times(i, ms)),
        Value::Object(m) => m.values_mut().for_each(|i| shift_times(i, ms)),
        _ => {}
    }
}
