//! Random tokens: session ids, CSRF tokens, OAuth states and lock owners.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// 18 random bytes from the OS, as 24 base64url characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 18];
    SystemRandom::new().fill(&mut bytes).expect("the OS random source is available");
    B64.encode(bytes)
}
