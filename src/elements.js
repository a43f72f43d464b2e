// <coupon-wallet> and <coupon-picker>: the widget as tags a Vue or React template can write.
// Everything but the element's life lives in Rust (src/lib.rs): each element is mounted from
// its attributes when it enters the document and unmounted when it leaves. The order
// attributes are followed by the widget itself (a change re-ranks the picker); a change of any
// other setting mounts the widget again with it. A JS class is needed because a custom element
// must be one, and wasm cannot declare one.

// Settings other than the order, whose change remounts.
const REMOUNTS = ["api-base", "lang", "mini-program-appid", "mini-program-link", "theme"];

// Properties reflecting the attributes, for frameworks that set properties (Vue does on a
// custom element that has them). `lang` is every element's own.
const STRINGS = { apiBase: "api-base", miniProgramAppid: "mini-program-appid", miniProgramLink: "mini-program-link", theme: "theme" };

function define(tag, connect) {
  if (customElements.get(tag)) return;
  class CouponElement extends HTMLElement {
    static get observedAttributes() { return REMOUNTS; }
    #handle = null;

    connectedCallback() {
      // A property set before the element was upgraded shadows the class's setter: pass it on.
      for (const name of [...Object.keys(STRINGS), "orderTotal", "orderItems"]) {
        if (Object.prototype.hasOwnProperty.call(this, name)) {
          const value = this[name];
          delete this[name];
          this[name] = value;
        }
      }
      if (!this.#handle) this.#handle = connect(this);
    }

    disconnectedCallback() {
      this.#handle?.unmount();
      this.#handle = null;
    }

    attributeChangedCallback(_name, before, after) {
      if (!this.#handle || before === after) return;
      this.#handle.unmount();
      this.#handle = connect(this);
    }

    /** Reloads the coupons from the proxy. */
    refresh() { this.#handle?.refresh(); }

    get orderTotal() {
      const total = Number.parseInt(this.getAttribute("order-total") ?? "", 10);
      return Number.isFinite(total) ? total : 0;
    }
    set orderTotal(fen) { this.setAttribute("order-total", String(fen)); }

    get orderItems() {
      try { return JSON.parse(this.getAttribute("order-items") ?? "[]"); } catch { return []; }
    }
    set orderItems(items) { this.setAttribute("order-items", JSON.stringify(items ?? [])); }
  }
  for (const [property, attribute] of Object.entries(STRINGS)) {
    Object.defineProperty(CouponElement.prototype, property, {
      get() { return this.getAttribute(attribute); },
      set(value) {
        if (value === null || value === undefined) this.removeAttribute(attribute);
        else this.setAttribute(attribute, String(value));
      },
    });
  }
  customElements.define(tag, CouponElement);
}

export function defineElements(connect) {
  if (typeof customElements === "undefined") return;
  define("coupon-wallet", connect);
  define("coupon-picker", connect);
}
