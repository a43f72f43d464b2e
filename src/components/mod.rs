//! The widget's components, one per file.

pub mod card;
pub mod claim;
pub mod codes;
pub mod detail;
pub mod dom;
pub mod load;
pub mod picker;
pub mod sheet;
pub mod use_coupon;
pub mod wallet;
pub mod windowed;
