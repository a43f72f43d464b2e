//! What the binary writes to a pipe: plain text without terminal escape codes, or with
//! `--log-format json` one JSON object a line with the request's fields.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The proxy's output lines until it has served one request.
fn output_lines(extra: &[&str]) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coupon-proxy"))
        .args(["--listen", "127.0.0.1:0", "--static-dir", "/nonexistent"])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        lines.push(std::mem::take(&mut line));
        if let Some(addr) = lines.last().unwrap().strip_prefix("coupon-proxy listening on ") {
            let addr = addr.trim().trim_start_matches("http://").to_owned();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut s = std::net::TcpStream::connect(addr)?;
                s.write_all(
                    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                )?;
                s.read_to_end(&mut Vec::new())
            });
        }
        if lines.last().unwrap().contains("served") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[test]
fn text_logs_off_a_terminal_have_no_escape_codes() {
    let lines = output_lines(&[]);
    assert!(lines.iter().any(|l| l.contains("served")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "{lines:?}");
}

#[test]
fn json_logs_carry_the_request_as_fields() {
    let lines = output_lines(&["--log-format", "json"]);
    let served = lines.iter().find(|l| l.contains("served")).expect("a served line");
    let event: serde_json::Value = serde_json::from_str(served).unwrap();
    assert_eq!(event["status"], 200, "{event}");
    assert!(event["ms"].is_number() && event["span"]["id"].is_string(), "{event}");
    assert_eq!(event["span"]["path"], "/api/v1/health");
}
