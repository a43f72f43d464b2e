//! The WeChat Pay marketing calls the product makes, typed.

use super::{encode, Client, UpstreamError};
use coupon_rules::model::Stock;
use coupon_rules::wire::{self, Page};
use coupon_rules::Coupon;

/// Filters of 根据过滤条件查询用户券 (商家券 list).
#[derive(Debug, Clone, Default)]
pub struct MerchantQuery {
    pub stock_id: Option<String>,
    pub coupon_state: Option<&'static str>,
    pub creator_merchant: Option<String>,
    pub belong_merchant: Option<String>,
    pub sender_merchant: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Filters of 根据商户号查用户的券 (代金券 / 消费金 list).
#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    pub stock_id: Option<String>,
    pub status: Option<&'static str>,
    pub creator_mchid: Option<String>,
    pub sender_mchid: Option<String>,
    pub available_mchid: Option<String>,
    pub business_type: Option<&'static str>,
    pub offset: u64,
    pub limit: u64,
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

impl Client {
    pub async fn merchant_coupons(
        &self,
        openid: &str,
        appid: &str,
        q: &MerchantQuery,
    ) -> Result<Page, UpstreamError> {
        let qs = query(&[
            ("appid", Some(appid.to_owned())),
            ("stock_id", q.stock_id.clone()),
            ("coupon_state", q.coupon_state.map(str::to_owned)),
            ("creator_merchant", q.creator_merchant.clone()),
            ("belong_merchant", q.belong_merchant.clone()),
            ("sender_merchant", q.sender_merchant.clone()),
            ("offset", Some(q.offset.to_string())),
            ("limit", Some(q.limit.to_string())),
        ]);
        let body = self
            .get(&format!("/v3/marketing/busifavor/users/{}/coupons?{qs}", encode(openid)))
            .await?;
        Ok(wire::parse_merchant_coupon_list(&body)?)
    }

    pub async fn merchant_coupon(
        &self,
        openid: &str,
        appid: &str,
        coupon_code: &str,
    ) -> Result<Coupon, UpstreamError> {
        let path = format!(
            "/v3/marketing/busifavor/users/{}/coupons/{}/appids/{}",
            encode(openid),
            encode(coupon_code),
            encode(appid)
        );
        Ok(wire::parse_merchant_coupon(&self.get(&path).await?)?)
    }

    pub async fn stock_coupons(
        &self,
        openid: &str,
        appid: &str,
        q: &StockQuery,
    ) -> Result<Page, UpstreamError> {
        let paged = q.available_mchid.is_none() || q.creator_mchid.is_some();
        let qs = query(&[
            ("appid", Some(appid.to_owned())),
            ("stock_id", q.stock_id.clone()),
            ("status", q.status.map(str::to_owned)),
            ("creator_mchid", q.creator_mchid.clone()),
            ("sender_mchid", q.sender_mchid.clone()),
            ("available_mchid", q.available_mchid.clone()),
            // Document 000: offset and limit do not apply to an available_mchid query.
            ("offset", paged.then(|| q.offset.to_string())),
            ("limit", paged.then(|| q.limit.to_string())),
            ("business_type", q.business_type.map(str::to_owned)),
        ]);
        let body =
            self.get(&format!("/v3/marketing/favor/users/{}/coupons?{qs}", encode(openid))).await?;
        Ok(wire::parse_stock_coupon_list(&body)?)
    }

    /// 查询代金券详情: one 代金券 or 消费金 as WeChat Pay holds it now.
    pub async fn stock_coupon(
        &self,
        openid: &str,
        appid: &str,
        coupon_id: &str,
    ) -> Result<Coupon, UpstreamError> {
        let path = format!(
            "/v3/marketing/favor/users/{}/coupons/{}?appid={}",
            encode(openid),
            encode(coupon_id),
            encode(appid)
        );
        Ok(wire::parse_stock_coupon(&self.get(&path).await?)?)
    }

    /// 查询批次详情 of one of this merchant's 代金券 stocks.
    pub async fn stock(&self, stock_id: &str) -> Result<Stock, UpstreamError> {
        let path = format!(
            "/v3/marketing/favor/stocks/{}?stock_creator_mchid={}",
            encode(stock_id),
            encode(self.mchid())
        );
        Ok(wire::parse_stock(&self.get(&path).await?)?)
    }

    /// One page of 查询可用单品: the goods a 单品券 stock of `creator` covers, and their count.
    pub async fn stock_items(
        &self,
        stock_id: &str,
        creator: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<String>, u64), UpstreamError> {
        let path = format!(
            "/v3/marketing/favor/stocks/{}/items?offset={offset}&limit={limit}&stock_creator_mchid={}",
            encode(stock_id),
            encode(creator)
        );
        Ok(wire::parse_stock_items(&self.get(&path).await?)?)
    }

    /// 发放代金券. Idempotent upstream on `out_request_no`: a retry returns the same coupon.
    /// `value`: (coupon_value, coupon_minimum) in fen, for a stock issued at a value the merchant sets.
    pub async fn send_stock_coupon(
        &self,
        openid: &str,
        appid: &str,
        stock_id: &str,
        out_request_no: &str,
        value: Option<(u64, u64)>,
    ) -> Result<String, UpstreamError> {
        let body = wire::IssueRequest {
            stock_id: stock_id.to_owned(),
            out_request_no: out_request_no.to_owned(),
            appid: appid.to_owned(),
            stock_creator_mchid: self.mchid().to_owned(),
            coupon_value: value.map(|v| v.0),
            coupon_minimum: value.map(|v| v.1),
        };
        let body =
            serde_json::to_vec(&body).map_err(|e| UpstreamError::Malformed(e.to_string()))?;
        let response = self
            .post(&format!("/v3/marketing/favor/users/{}/coupons", encode(openid)), body)
            .await?;
        Ok(wire::parse_claim_response(&response)?)
    }

    /// 核销用户券: the merchant redeems a user's 商家券. Idempotent upstream on
    /// `use_request_no`: a retry answers as the first call did. The use time WeChat recorded.
    pub async fn use_merchant_coupon(
        &self,
        appid: &str,
        redemption: &coupon_rules::api::RedemptionRequest,
        use_request_no: &str,
        use_time: &str,
    ) -> Result<String, UpstreamError> {
        #[derive(serde::Deserialize)]
        struct Used {
            wechatpay_use_time: String,
        }
        let body = serde_json::json!({
            "coupon_code": redemption.coupon_code,
            "stock_id": redemption.stock_id,
            "appid": appid,
            "use_time": use_time,
            "use_request_no": use_request_no,
            "openid": redemption.openid,
        });
        let answer =
            self.post("/v3/marketing/busifavor/coupons/use", body.to_string().into_bytes()).await?;
        Ok(coupon_rules::from_json::<Used>(&answer)?.wechatpay_use_time)
    }

    /// 设置消息通知地址 (代金券, `COUPON.USE`) and 设置商家券事件通知地址 (`COUPON.SEND`), both
    /// to `url`; then the URLs WeChat Pay holds: the 代金券 one as its answer names it, the
    /// 商家券 one read back with 查询商家券事件通知地址.
    pub async fn set_callbacks(&self, url: &str) -> Result<Callbacks, UpstreamError> {
        #[derive(serde::Deserialize)]
        struct Registered {
            notify_url: String,
        }
        let read = |body: &[u8]| {
            coupon_rules::from_json::<Registered>(body)
                .map(|r| r.notify_url)
                .map_err(UpstreamError::from)
        };
        let mchid = self.mchid().to_owned();
        let body = |switch: Option<bool>| {
            let mut b = serde_json::json!({ "mchid": mchid, "notify_url": url });
            if let Some(on) = switch {
                b["switch"] = on.into();
            }
            b.to_string().into_bytes()
        };
        let stock = read(&self.post("/v3/marketing/favor/callbacks", body(Some(true))).await?)?;
        self.post("/v3/marketing/busifavor/callbacks", body(None)).await?;
        let merchant = read(
            &self
                .get(&format!("/v3/marketing/busifavor/callbacks?mchid={}", encode(&mchid)))
                .await?,
        )?;
        Ok(Callbacks { stock, merchant })
    }
}

/// The notification URLs WeChat Pay holds for the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callbacks {
    /// 代金券's (`COUPON.USE`).
    pub stock: String,
    /// 商家券's (`COUPON.SEND`).
    pub merchant: String,
}
