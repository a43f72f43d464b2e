//! Mutation fuzzing of every reader of untrusted JSON (the upstream parsers, and the serde
//! types the widget reads the proxy's API and a host page's order with): starting from the
//! corpus in `rules/fuzz/corpus`
//! (the seeds' bodies, malformed ones included, and hand-made edge cases), it flips, inserts,
//! deletes, duplicates, splices and retypes bytes, and checks that each parser returns — no
//! panic, no hang — with a typed error that names the field when it fails.
//!
//!     cargo run --release -p coupon-rules --example fuzz_parsers -- 60     # seconds
//!
//! Inputs that panic or take over 100 ms are written to `rules/fuzz/crashes/`, and the run
//! exits non-zero.

use coupon_rules::wire::{
    parse_claim_response, parse_merchant_coupon, parse_merchant_coupon_list,
    parse_stock_coupon_list,
};
use coupon_rules::{from_json, Error};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

const SLOW: Duration = Duration::from_millis(100);

/// xorshift64*: fast, deterministic from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: [&[u8]; 16] = [
    b"\"",
    b",",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"true",
    b"\"false\"",
    b"-1",
    b"1e309",
    b"\"2015-13-45T99:99:99+08:00\"",
    b"\"\\u0000\"",
    b"\"irregulary_avaliable_time\"",
    b"9223372036854775808",
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 if at < v.len() => {
                let end = (at + 1 + rng.below(32)).min(v.len());
                v.drain(at..end);
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            4 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(256)).min(other.len());
                v.splice(at..at, other[from..to].iter().copied());
            }
            5 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, token.iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

/// Runs every parser on `body`; `Err` names what went wrong for the crash report.
fn check(body: &[u8], outcomes: &mut BTreeMap<&'static str, u64>) -> Result<(), String> {
    let started = Instant::now();
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut errors = Vec::new();
        errors.extend(parse_merchant_coupon(body).err());
        match parse_merchant_coupon_list(body) {
            Ok(page) => errors.extend(page.rejected),
            Err(e) => errors.push(e),
        }
        match parse_stock_coupon_list(body) {
            Ok(page) => errors.extend(page.rejected),
            Err(e) => errors.push(e),
        }
        errors.extend(parse_claim_response(body).err());
        // What the widget reads with the same serde types: the proxy's API and a host's order.
        errors.extend(from_json::<coupon_rules::Coupon>(body).err());
        errors.extend(from_json::<coupon_rules::api::CouponPage>(body).err());
        errors.extend(from_json::<Vec<coupon_rules::OrderItem>>(body).err());
        errors
    }));
    let elapsed = started.elapsed();
    let errors = run.map_err(|_| "panicked".to_owned())?;
    if elapsed > SLOW {
        return Err(format!("took {elapsed:?}"));
    }
    for e in &errors {
        let kind = match e {
            Error::NotJson { .. } => "not JSON",
            Error::Field { .. } => "a named field",
        };
        *outcomes.entry(kind).or_default() += 1;
        if !matches!(e, Error::NotJson { .. }) && e.field().is_none_or(str::is_empty) {
            return Err(format!("an error that names no field: {e}"));
        }
    }
    *outcomes.entry("inputs").or_default() += 1;
    Ok(())
}

fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(dir.join("corpus"))
        .expect("rules/fuzz/corpus exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    corpus.sort();
    let mut rng = Rng(0x5eed_c0de_0a11_u64.wrapping_add(seconds));
    let mut outcomes = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    let mut failures = 0;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // The corpus itself first, then mutations of it.
    let mut queue: Vec<Vec<u8>> = corpus.clone();
    while Instant::now() < deadline {
        let body = queue.pop().unwrap_or_else(|| {
            let base = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &base, &corpus)
        });
        let started = Instant::now();
        if let Err(why) = check(&body, &mut outcomes) {
            failures += 1;
            let crashes = dir.join("crashes");
            std::fs::create_dir_all(&crashes).ok();
            let path = crashes.join(format!("crash-{failures}.json"));
            std::fs::write(&path, &body).ok();
            eprintln!("FAIL ({why}): input saved to {}", path.display());
        }
        slowest = slowest.max(started.elapsed());
    }
    println!(
        "fuzzed the upstream parsers for {seconds} s: {} inputs, slowest {:.2} ms, {failures} failures",
        outcomes.get("inputs").copied().unwrap_or(0),
        slowest.as_secs_f64() * 1000.0
    );
    for (kind, n) in &outcomes {
        if *kind != "inputs" {
            println!("  typed errors, {kind}: {n}");
        }
    }
    if failures > 0 {
        std::process::exit(1);
    }
}
