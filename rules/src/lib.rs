//! The coupon rules engine shared by the widget and the merchant proxy.
//!
//! It owns every rule about 商家券 (merchant coupons), 代金券 (stock coupons) and 消费金
//! (multi-use balance) so that the browser and the server never re-derive one:
//!
//! - [`wire`] reads WeChat Pay v3 bodies (serde, lenient where real bodies need it) into the
//!   one [`model::Coupon`];
//! - [`api`] defines the proxy's `/api/v1` bodies once, for the proxy to write and the
//!   widget to read;
//! - [`validity`] says whether a coupon is usable at an instant, and when that changes;
//! - [`discount`] says what a coupon takes off an order, or why nothing;
//! - [`rank`] orders coupons for the checkout picker;
//! - [`text`] words all of it in zh-CN and English.
//!
//! It knows nothing of the DOM, HTTP or the clock: callers pass the instant.

pub mod api;
pub mod discount;
pub mod error;
pub mod look;
pub mod model;
pub mod money;
pub mod palette;
pub mod rank;
pub mod sample;
pub mod text;
pub mod time;
pub mod validity;
pub mod wallet;
pub mod wire;

pub use discount::{evaluate, Order, OrderItem, Outcome, Reason};
pub use error::{from_json, Error};
pub use model::{Coupon, CouponKind, CouponState, Source, UseMethod};
pub use money::Fen;
pub use rank::{rank, Ranking};
pub use text::Lang;
pub use time::BeijingTime;
pub use validity::{availability, Availability};
