//! What a phone downloads: the built widget served precompressed by content negotiation, with
//! the cache headers a merchant's CDN must keep, and the API's JSON compressed too.

use coupon_e2e::start_proxy;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, SET_COOKIE, VARY,
};
use std::path::PathBuf;

/// The widget's file in `dist/` whose name ends with `suffix`.
fn dist_file(suffix: &str) -> (String, Vec<u8>) {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let name = std::fs::read_dir(&dist)
        .expect("dist/ is built")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        // `coupon-widget-<hash><suffix>`: not coupon-widget-loader.js, which has no hash.
        .find(|n| {
            n.strip_prefix("coupon-widget-")
                .and_then(|rest| rest.strip_suffix(suffix))
                .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .unwrap_or_else(|| panic!("no *{suffix} in dist/"));
    let bytes = std::fs::read(dist.join(&name)).unwrap();
    (name, bytes)
}

fn client() -> reqwest::Client {
    // No automatic decompression: the test sees the bytes as they travel.
    reqwest::Client::builder().no_brotli().no_gzip().build().unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::BrotliDecompress(&mut &bytes[..], &mut out).expect("a brotli body");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wasm_travels_brotli_compressed_and_is_cached_for_a_year() {
    let proxy = start_proxy().await;
    let (name, original) = dist_file("_bg.wasm");
    let url = format!("http://{}/{name}", proxy.addr);
    let response =
        client().get(&url).header(ACCEPT_ENCODING, "gzip, deflate, br").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, CONTENT_ENCODING), "br");
    assert_eq!(
        header(&response, CONTENT_TYPE),
        "application/wasm",
        "so that the browser compiles while it downloads"
    );
    assert_eq!(header(&response, CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(header(&response, VARY).contains("accept-encoding"));
    let body = response.bytes().await.unwrap();
    assert!(body.len() * 3 < original.len(), "brotli: {} of {} bytes", body.len(), original.len());
    assert_eq!(unbrotli(&body), original, "the brotli body is the built wasm");

    let gzip = client().get(&url).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(header(&gzip, CONTENT_ENCODING), "gzip");
    assert_eq!(gzip.bytes().await.unwrap().as_ref(), dist_file("_bg.wasm.gz").1.as_slice());

    let plain = client().get(&url).send().await.unwrap();
    assert_eq!(header(&plain, CONTENT_ENCODING), "");
    assert_eq!(plain.bytes().await.unwrap().as_ref(), original.as_slice());
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hashed_scripts_are_immutable_and_the_page_is_revalidated() {
    let proxy = start_proxy().await;
    // The glue is named after its own content (scripts/post-build.py), not the wasm's.
    let (js, _) = dist_file(".js");
    let script = client()
        .get(format!("http://{}/{js}", proxy.addr))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&script, CONTENT_ENCODING), "br");
    assert!(
        header(&script, CONTENT_TYPE).starts_with("text/javascript"),
        "{}",
        header(&script, CONTENT_TYPE)
    );
    assert_eq!(header(&script, CACHE_CONTROL), "public, max-age=31536000, immutable");

    // The demo page and the unhashed demo.js change with every build: revalidated on use.
    let page = client()
        .get(format!("http://{}/", proxy.addr))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&page, CACHE_CONTROL), "no-cache");
    assert_eq!(header(&page, CONTENT_ENCODING), "br");
    let cookie = page.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page_csp = header(&page, reqwest::header::CONTENT_SECURITY_POLICY);
    let html = String::from_utf8(unbrotli(&page.bytes().await.unwrap())).unwrap();
    assert!(html.contains("data-coupon-widget") && html.contains("<coupon-picker"));
    // The page under its file name carries the same header policy as `/`.
    let by_name = client().get(format!("http://{}/index.html", proxy.addr)).send().await.unwrap();
    assert_eq!(page_csp, header(&by_name, reqwest::header::CONTENT_SECURITY_POLICY));
    assert!(
        header(&by_name, reqwest::header::CONTENT_SECURITY_POLICY).contains("object-src 'none'")
    );
    let demo = client().get(format!("http://{}/demo.js", proxy.addr)).send().await.unwrap();
    assert_eq!(header(&demo, CACHE_CONTROL), "no-cache");

    // A user's coupons: compressed, and never stored anywhere (but for the loader's first page,
    // kept by this browser only while revalidated: proxy/tests/api.rs).
    let coupons = client()
        .get(format!("http://{}/api/v1/coupons?tab=used&offset=0&limit=50", proxy.addr))
        .header(ACCEPT_ENCODING, "br")
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(coupons.status(), 200);
    assert_eq!(header(&coupons, CONTENT_ENCODING), "br");
    assert_eq!(header(&coupons, CACHE_CONTROL), "no-store");
    let page: serde_json::Value =
        serde_json::from_slice(&unbrotli(&coupons.bytes().await.unwrap())).unwrap();
    assert!(page["coupons"].as_array().is_some());

    let missing = client()
        .get(format!("http://{}/nothing-here-0123456789abcdef.js", proxy.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_ne!(
        header(&missing, CACHE_CONTROL),
        "public, max-age=31536000, immutable",
        "a name that is not a file is not cached for a year"
    );
    proxy.shutdown().await;
}
