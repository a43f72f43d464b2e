// Layout shift as the page loads, for e2e/tests/layout_shift.rs: loaded by a classic script at
// the top of <head>, before anything else runs. Two measures:
// - `native`: Chromium's Layout Instability API (layout-shift entries without recent input);
// - `ours`: the same formula computed here every frame, for engines without the API (WebKit):
//   an element drawn in the last frame whose box moved scores (the area it covered before and
//   after, as a fraction of the viewport) × (how far it moved, as a fraction of the viewport's
//   larger side); a moved element's descendants are not counted again.
(() => {
  const shift = { native: null, ours: 0, frames: 0, sources: [] };
  window.__cwShift = shift;
  const name = (el) => !el.tagName ? "#text" : el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "");
  if (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes?.includes("layout-shift")) {
    shift.native = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        shift.native += e.value;
        const moved = (e.sources || []).map((s) => (s.node ? name(s.node) : "?") + " " + Math.round(s.previousRect.y) + "→" + Math.round(s.currentRect.y));
        shift.sources.push("API " + e.value.toFixed(4) + " at " + Math.round(e.startTime) + " ms: " + moved.join(", "));
      }
    }).observe({ type: "layout-shift", buffered: true });
  }
  const last = new WeakMap();
  const frame = () => {
    const vw = innerWidth, vh = innerHeight, far = Math.max(vw, vh);
    let area = 0, distance = 0;
    const moved = [];
    for (const el of document.body ? document.body.querySelectorAll("*") : []) {
      const r = el.getBoundingClientRect();
      const before = last.get(el);
      const drawn = r.width > 0 && r.height > 0;
      last.set(el, drawn ? { x: r.left, y: r.top, w: r.width, h: r.height } : undefined);
      if (!drawn || !before) continue;
      const d = Math.max(Math.abs(r.left - before.x), Math.abs(r.top - before.y));
      if (d < 1 || moved.some((m) => m.contains(el))) continue;
      const left = Math.max(0, Math.min(before.x, r.left)), right = Math.min(vw, Math.max(before.x + before.w, r.right));
      const top = Math.max(0, Math.min(before.y, r.top)), bottom = Math.min(vh, Math.max(before.y + before.h, r.bottom));
      if (right <= left || bottom <= top) continue; // off screen before and after
      moved.push(el);
      area += (right - left) * (bottom - top);
      distance = Math.max(distance, d);
      shift.sources.push(name(el) + " " + Math.round(d) + "px at " + Math.round(performance.now()) + " ms");
    }
    shift.ours += Math.min(1, area / (vw * vh)) * (distance / far);
    shift.frames++;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
