//! The widget's components, one per file.

pub mod card;
pub mod wallet;
