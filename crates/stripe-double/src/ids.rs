//! Identifier generation and clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Random base62 characters, unique per process (counter mixed with the clock).
pub fn random_chars(len: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut state = splitmix(nanos ^ splitmix(COUNTER.fetch_add(1, Ordering::Relaxed)));
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        state = splitmix(state);
        out.push(ALPHABET[(state % ALPHABET.len() as u64) as usize] as char);
    }
    out
}

/// `prefix_` followed by 24 random characters, like `cus_Q3b…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_chars(24))
}

/// Checkout Session ids are long: `cs_test_a1…` (66 characters in test mode).
pub fn checkout_session_id() -> String {
    format!("cs_test_a1{}", random_chars(56))
}
