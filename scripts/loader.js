// The page's module loader: scripts/post-build.py fills in the URLs of the files trunk named and
// inlines it. It runs as the parser reaches it (an async module with no imports), before the
// rest of the page is parsed. Starts everything the first screen needs
// at once, then the widget: the wasm and the widget's JS module right away; once the host
// elements are parsed, the widget's first request (one per API, shared by every widget on
// the page, handed over on each host element as `couponWidgetFirstPage`: see src/api.rs) and
// a wallet's 领取 stocks (`couponWidgetClaimable`), and a wallet's first screen as the proxy
// draws it (`/first-screen`), shown until the widget has drawn the same (see `prerender`).
// Fetched by script rather than by <link rel=preload as=fetch>: WebKit never hands a fetch()
// the preloaded answer, so it downloaded the wasm and the first page twice.
//
// No `integrity` on the wasm: a fetch with one resolves only once the whole body is checked,
// which would stop the browser compiling the wasm while it downloads (the file's name is the
// hash of its content).
const wasm = fetch("__CW_WIDGET_WASM__");
const glue = import("__CW_WIDGET_JS__");
if (document.readyState === "loading") {
  await new Promise((parsed) => document.addEventListener("DOMContentLoaded", parsed, { once: true }));
}
const FIRST_PAGE = "/coupons?tab=available&offset=0&limit=50";
const pages = new Map();
// The codes module, imported and started on the first call (see src/codes.rs); a load that
// failed is forgotten, so that the next call tries again.
let codesModule;
const codes = () => (codesModule ??= import("__CW_CODES_JS__")
  .then(async (m) => (await m.default({ module_or_path: "__CW_CODES_WASM__" }), m))
  .catch((e) => { codesModule = undefined; throw e; }));
// One request per URL, shared by every widget on the page.
const early = (url) => {
  if (!pages.has(url)) {
    const own = new URL(url, location.href).origin === location.origin;
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 15000);
    const response = fetch(url, { credentials: own ? "same-origin" : "include", signal: deadline.signal });
    response.catch(() => {}); // the widget asks again if this one fails
    pages.set(url, response);
  }
  return { url, response: pages.get(url) };
};
// The proxy's drawing of a wallet's first screen, shown in its host (inert: nothing in it works
// before the widget) unless the widget started first; the widget takes it away in the task
// that draws its own (src/components/dom.rs). The host is marked as the widget marks it, so the
// stylesheet draws both alike. Any failure leaves the host to the widget.
const prerender = (host, base, setting) => {
  const query = new URLSearchParams({ lang: setting("lang") || "zh-CN", screen: String(Math.round(innerHeight)) });
  return early(base + "/first-screen?" + query).response
    .then((r) => (r.ok ? r.clone().text() : ""))
    .then((html) => {
      if (!html || host.classList.contains("cw-root")) return;
      const shown = document.createElement("div");
      shown.className = "cw-prerendered";
      shown.inert = true;
      shown.innerHTML = html;
      const theme = (setting("theme") || "").trim();
      const dark = theme === "dark" || (theme !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
      host.classList.add("cw-root");
      host.setAttribute("data-cw-scheme", dark ? "dark" : "light");
      host.prepend(shown);
      performance.mark("cw-loader:prerendered");
    })
    .catch(() => {});
};
const drawings = [];
for (const host of document.querySelectorAll("[data-coupon-widget], coupon-wallet, coupon-picker")) {
  const declared = host.hasAttribute("data-coupon-widget");
  const setting = (name) => host.getAttribute(declared ? "data-" + name : name);
  const base = (setting("api-base") || "").trim().replace(/\/+$/, "") || "/api/v1";
  host.couponWidgetFirstPage = early(base + FIRST_PAGE);
  // A wallet draws its 领取 rows with its first cards: their request starts now too.
  const wallet = declared ? host.getAttribute("data-coupon-widget") === "wallet" : host.localName === "coupon-wallet";
  if (wallet) {
    host.couponWidgetClaimable = early(base + "/claimable");
    drawings.push(prerender(host, base, setting));
  }
  host.couponWidgetCodes = codes;
}
const { default: init } = await glue;
performance.mark("cw-loader:glue");
// The widget starts once the proxy's drawings are shown (or have failed), for at most half a
// second: on a repeat visit the wasm comes from the cache before them, and starting it first
// would hold the main thread until the widget had drawn the same screen itself, later. It needs
// the same answers, so the wait costs it nothing.
const after = (ms) => new Promise((later) => setTimeout(later, ms));
await Promise.race([Promise.all(drawings), after(500)]);
// …and painted: starting holds the main thread, and the frame that shows them would wait for it.
if (drawings.length) await Promise.race([new Promise((painted) => requestAnimationFrame(() => setTimeout(painted))), after(100)]);
await init({ module_or_path: wasm });
performance.mark("cw-loader:started");
