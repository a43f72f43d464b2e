//! The one coupon model. 商家券 (busifavor), 代金券 (favor) and 消费金 (MULTIUSE balance)
//! all become a [`Coupon`]; nothing past the parsing edge knows WeChat's field names.
//! Its serde form is the proxy's stable API, which the widget reads back.

use crate::money::Fen;
use crate::time::{BeijingTime, Weekday};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// Which WeChat product the coupon comes from; it decides which upstream API serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 商家券, the busifavor API; identified by a coupon code.
    Merchant,
    /// 代金券 and 消费金, the favor API; identified by a coupon id.
    Stock,
}

impl Source {
    /// As the JSON form writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Merchant => "merchant",
            Source::Stock => "stock",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// Coupon code (商家券) or coupon id (代金券): unique per user and source.
    pub id: String,
    pub source: Source,
    pub stock_id: String,
    /// Stock name (商家券) or coupon name (代金券), as the user sees it.
    pub name: String,
    pub kind: CouponKind,
    pub state: CouponState,
    pub merchant: Merchant,
    /// `#rrggbb`, already resolved from WeChat's palette name.
    pub background: String,
    /// 使用须知.
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// Which goods the coupon covers (商家券 `goods_name`).
    pub goods: Option<String>,
    /// 单品券: applies to one unit of certain goods, not the order.
    pub single_item: bool,
    /// The goods a 单品券 covers, as the merchant's own goods ids. WeChat's list APIs do not
    /// say; the merchant configures them per stock and the proxy fills them in. Empty: unknown,
    /// and then no saving is ever guessed.
    #[serde(default)]
    pub goods_ids: Vec<String>,
    /// 免充值: the merchant funds the discount (`no_cash`).
    pub no_cash: bool,
    pub validity: Validity,
    pub use_method: UseMethod,
    pub entrance: Option<CustomEntrance>,
    pub received_at: Option<BeijingTime>,
    pub used_at: Option<BeijingTime>,
    /// What a merchant's finance team matches against its own records.
    #[serde(default)]
    pub reconciliation: Reconciliation,
}

/// The ids WeChat Pay gives for reconciling a coupon with the merchant's records.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reconciliation {
    /// 商家券: the merchant's request number when it was sent (`send_request_no`).
    pub send_request_no: Option<String>,
    /// 商家券: the merchant's request number when it was used (`use_request_no`).
    pub use_request_no: Option<String>,
    /// 商家券: the merchant the coupon belongs to (`belong_merchant`).
    pub belong_merchant: Option<String>,
    /// 代金券: the merchant that created the stock (`stock_creator_mchid`).
    pub stock_creator_mchid: Option<String>,
    /// 代金券: the merchant's idempotency key of the issue (`out_request_no`).
    pub out_request_no: Option<String>,
}

impl Coupon {
    /// A usable coupon with no time rules, no merchant details and the default colour: the
    /// starting point for building one by hand (tests, benchmarks, fixtures).
    pub fn new(
        id: impl Into<String>,
        source: Source,
        name: impl Into<String>,
        kind: CouponKind,
    ) -> Coupon {
        Coupon {
            id: id.into(),
            source,
            stock_id: String::new(),
            name: name.into(),
            kind,
            state: CouponState::Available,
            merchant: Merchant::default(),
            background: crate::palette::DEFAULT_BACKGROUND.to_owned(),
            description: None,
            image_url: None,
            goods: None,
            single_item: false,
            goods_ids: Vec::new(),
            no_cash: false,
            validity: Validity::default(),
            use_method: UseMethod::Offline,
            entrance: None,
            received_at: None,
            used_at: None,
            reconciliation: Reconciliation::default(),
        }
    }
}

/// `url` if it is a plain `https` URL fit to put in an image's `src`: no script or data URLs,
/// no mixed content, nothing that could break out of an attribute.
pub fn https_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let ok = url.len() > 8
        && url.len() <= 2048
        && url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        && !url.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\')
        });
    ok.then_some(url)
}

/// What the coupon takes off, with its threshold in fen (0 = 无门槛).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// 满减: `amount` off an order of at least `threshold`.
    FixedAmount { amount: Fen, threshold: Fen },
    /// 折扣: pay `pay_percent`% (88 = 八八折) of an order of at least `threshold`.
    Discount { pay_percent: u8, threshold: Fen },
    /// 换购: one item is paid at `price`, on an order of at least `threshold`.
    Exchange { price: Fen, threshold: Fen },
    /// 减至: one item priced at most `max_item_price` is paid at `price`.
    CutTo { price: Fen, max_item_price: Fen, threshold: Fen },
    /// 消费金: a balance spent against the order.
    Balance { balance: Fen },
    /// A type WeChat added after this code was written; shown, never applied.
    Unknown { raw: String },
}

impl CouponKind {
    pub fn threshold(&self) -> Fen {
        match self {
            CouponKind::FixedAmount { threshold, .. }
            | CouponKind::Discount { threshold, .. }
            | CouponKind::Exchange { threshold, .. }
            | CouponKind::CutTo { threshold, .. } => *threshold,
            CouponKind::Balance { .. } | CouponKind::Unknown { .. } => Fen::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponState {
    /// SENDED: in the user's wallet, usable within its rules.
    Available,
    /// USED: redeemed (核销).
    Used,
    Expired,
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Merchant {
    pub name: Option<String>,
    /// Only ever an `https` URL; anything else is dropped at the parsing edge.
    pub logo_url: Option<String>,
}

/// How the 立即使用 button redeems the coupon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseMethod {
    /// Show the code as QR and barcode at the till.
    Offline,
    /// Jump to the merchant's mini-program.
    MiniProgram {
        appid: Option<String>,
        path: Option<String>,
    },
    /// Pay with the WeChat payment code; the coupon applies automatically.
    PaymentCode,
    /// 用户自助核销: not yet offered by WeChat.
    SelfConsume,
    Unknown {
        raw: String,
    },
}

/// Entrances the detail sheet offers (商家券 `custom_entrance`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CustomEntrance {
    pub mini_program: Option<MiniProgramEntrance>,
    pub official_account_appid: Option<String>,
    pub hall_id: Option<String>,
    pub store_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniProgramEntrance {
    pub appid: String,
    pub path: Option<String>,
    pub entrance_words: Option<String>,
    pub guiding_words: Option<String>,
}

/// Every rule that limits when the coupon can be used. All parts combine: the instant must
/// lie in every window present, and, when any slot rule is present, in a weekly slot or an
/// irregular period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Validity {
    /// The stock's window (`available_begin_time`..`available_end_time`).
    pub stock_window: Option<Window>,
    /// This coupon's own window (`available_start_time`..`expire_time`).
    pub coupon_window: Option<Window>,
    /// 领取后N天内有效.
    pub days_after_receive: Option<u16>,
    pub weekly: Option<WeeklySlots>,
    pub irregular: Vec<Window>,
}

/// A closed interval of instants, both ends included as WeChat states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub begin: Option<BeijingTime>,
    pub end: Option<BeijingTime>,
}

/// 每周二、周三 10:00–18:00: days of the week and up to three ranges within each.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WeeklySlots {
    /// Monday first, unique; empty means every day.
    pub days: Vec<Weekday>,
    /// Empty means the whole day.
    pub ranges: Vec<DayRange>,
}

/// A 代金券 stock as 查询批次详情 reports it: what a 领取 row shows, and whether to offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub stock_id: String,
    pub name: String,
    pub state: StockState,
    /// Coupons left to issue (the stock's maximum less those distributed), when WeChat says.
    pub remaining: Option<u64>,
    /// How many coupons of the stock one user may receive, when WeChat says.
    pub max_per_user: Option<u64>,
    /// When its coupons stop being usable.
    pub ends: Option<BeijingTime>,
}

/// A stock's state (`unactivated`, `audit`, `running`, `stoped`, `paused`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockState {
    Running,
    Paused,
    Stopped,
    /// Not activated yet, or under review.
    NotStarted,
    Unknown(String),
}

impl Stock {
    /// Whether a 领取 row may offer it at `now`: running, coupons left, its window not over.
    pub fn claimable(&self, now: BeijingTime) -> bool {
        self.state == StockState::Running
            && self.remaining != Some(0)
            && self.ends.is_none_or(|end| now < end)
    }
}

/// A range of the Beijing day, both ends included as WeChat states them (`end` 23:59:59 is
/// the end of the day).
///
/// In JSON each end is its second of the day (`36000` = 10:00:00), as WeChat writes it:
/// chrono's `HH:MM:SS` reader would cost the widget's bundle its general pattern parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DayRange {
    #[serde(with = "second_of_day")]
    pub begin: NaiveTime,
    #[serde(with = "second_of_day")]
    pub end: NaiveTime,
}

/// A time of day as its second of the day, 0..=86399.
mod second_of_day {
    use chrono::{NaiveTime, Timelike};
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(t.num_seconds_from_midnight())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let secs = u32::deserialize(d)?;
        NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)
            .ok_or_else(|| de::Error::custom(format!("not a second of the day: {secs}")))
    }
}
