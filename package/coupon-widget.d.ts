// Types of the 我的代金券 widget's JavaScript surface: `mount`, its options and handle, the
// custom elements and every `cw:*` event's `detail`. Written by hand beside the Rust types they
// describe; tests/typescript.rs fails when the two disagree (a member one side has and the other
// has not), and e2e/typescript compiles an example against this file with `tsc --strict`.

/** Amounts are integer fen (1/100 yuan). */
export type Fen = number;

/** Which coupon API a coupon comes from: 商家券 (`merchant`) or 代金券/消费金 (`stock`). */
export type CouponSource = "merchant" | "stock";

/** Light, dark, or the page's `prefers-color-scheme` (the default). */
export type ColorScheme = "auto" | "light" | "dark";

export interface OrderItem {
  /** The merchant's goods id: what a 单品券's covered goods are matched against. */
  goodsId?: string;
  name?: string;
  unitPrice: Fen;
  /** 1 when left out. */
  quantity?: number;
}

export interface Order {
  total: Fen;
  items?: OrderItem[];
}

/** What `mount` takes; every member is optional, and any other member is refused. */
export interface MountOptions {
  view?: "wallet" | "picker";
  /** The proxy's API, e.g. `/api/v1` or `https://shop.example/api/v1`. */
  apiBase?: string;
  /** `zh-CN` (the default) or `en`. */
  locale?: string;
  /** Link for coupons of another mini-program, with `{appid}` and `{path}`. */
  miniProgramLink?: string;
  /** The mini-program whose web-view hosts the page. */
  miniProgramAppid?: string;
  /** The picker's order. */
  order?: Order;
  /** A colour scheme; an object of `--cw-…` properties is still read as `variables`. */
  theme?: ColorScheme | Record<`--cw-${string}`, string>;
  /** CSS custom properties set on the host element (`--cw-…` only). */
  variables?: Record<`--cw-${string}`, string>;
}

/** A mounted widget. */
export interface WidgetHandle {
  /** Re-ranks the picker for a new order at once; throws on an invalid one. */
  setOrder(order: Order): void;
  /** Reloads the coupons from the proxy. */
  refresh(): void;
  /** Removes every node the widget added and stops all its work. Safe to call twice. */
  unmount(): void;
  /** Frees the handle (the widget stays until `unmount`). */
  free(): void;
}

/** Starts the widget's wasm (the loader does it for you). */
export default function init(module_or_path?: { module_or_path: string | URL | Request | Response | BufferSource | WebAssembly.Module }): Promise<unknown>;

/** Mounts a widget on `el`. Throws, naming the member, on options it does not take. */
export function mount(el: HTMLElement, options?: MountOptions): WidgetHandle;

/** Offers the QR code and barcode module (`{ qr, barcode }` once started) to every widget; the
 *  loader and the package's entry do it for you. */
export function offerCodes(load: () => Promise<unknown>): void;

/** The package's entry: resolves once the wasm has started and the custom elements are
 *  registered. */
export const ready: Promise<void>;

/** `cw:select`: the picker's choice and what the user pays. */
export interface SelectDetail {
  /** `null` when no coupon is chosen. */
  coupon_id: string | null;
  source?: CouponSource;
  stock_id?: string;
  name?: string;
  saving: Fen;
  payable: Fen;
  /** The user confirmed it (rather than the widget's automatic best pick). */
  confirmed: boolean;
}

/** `cw:use`: 立即使用 was tapped. */
export interface UseDetail {
  method: "offline" | "mini_program" | "payment_code";
  coupon_id: string;
  source: CouponSource;
  stock_id: string;
  /** The code a cashier scans (offline). */
  code?: string;
  appid?: string;
  path?: string;
}

/** `cw:claim`: a coupon was claimed. */
export interface ClaimDetail {
  stock_id: string;
  coupon_id: string;
}

/** `cw:entrance`: a custom entrance in the detail sheet was tapped; the host opens it. */
export interface EntranceDetail {
  type: "mini_program" | "official_account" | "hall" | "store";
  coupon_id: string;
  appid?: string;
  path?: string;
  hall_id?: string;
  store_id?: string;
}

/** Every failure's stable code (`proxy/openapi.yaml`), and the widget's own three. */
export type ErrorCode =
  | "UNAUTHENTICATED" | "CSRF_FAILED" | "ORIGIN_NOT_ALLOWED" | "INVALID_PARAMETER"
  | "BODY_TOO_LARGE" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "USER_NOT_FOUND" | "RATE_LIMITED"
  | "STOCK_NOT_CLAIMABLE" | "CLAIM_REJECTED" | "FORBIDDEN" | "SERVICE_UNAVAILABLE"
  | "MERCHANT_SETUP" | "UPSTREAM_TIMEOUT" | "UPSTREAM_UNAVAILABLE" | "UPSTREAM_BUSY"
  | "UPSTREAM_ERROR" | "UPSTREAM_REJECTED" | "UPSTREAM_BAD_RESPONSE" | "NETWORK" | "TIMEOUT"
  | "BAD_RESPONSE" | "BAD_REQUEST" | "UNKNOWN";

/** `cw:error`: a load or a claim failed. */
export interface ErrorDetail {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  stock_id?: string;
}

/** The events a widget dispatches; they bubble (and cross shadow roots) from its element. */
export interface CouponWidgetEventMap {
  "cw:select": CustomEvent<SelectDetail>;
  "cw:use": CustomEvent<UseDetail>;
  "cw:claim": CustomEvent<ClaimDetail>;
  "cw:entrance": CustomEvent<EntranceDetail>;
  "cw:error": CustomEvent<ErrorDetail>;
}

/** `<coupon-wallet>` and `<coupon-picker>`: the settings as attributes (`api-base`, `lang`,
 *  `order-total`, `order-items`, `mini-program-appid`, `mini-program-link`, `theme`) or as
 *  these properties. A change of the order re-ranks the picker; any other remounts it. */
export interface CouponWidgetElement extends HTMLElement {
  apiBase: string | null;
  miniProgramAppid: string | null;
  miniProgramLink: string | null;
  theme: ColorScheme | null;
  /** `order-total`, fen. */
  orderTotal: Fen;
  /** `order-items`, as JSON in the attribute (`unit_price` or `unitPrice`). */
  orderItems: OrderItem[];
  /** Reloads the coupons from the proxy. */
  refresh(): void;
  addEventListener<K extends keyof CouponWidgetEventMap>(type: K, listener: (this: CouponWidgetElement, ev: CouponWidgetEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CouponWidgetEventMap>(type: K, listener: (this: CouponWidgetElement, ev: CouponWidgetEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "coupon-wallet": CouponWidgetElement;
    "coupon-picker": CouponWidgetElement;
  }
  // The events bubble to the document, where a page may listen for every widget at once.
  interface HTMLElementEventMap extends CouponWidgetEventMap {}
  interface DocumentEventMap extends CouponWidgetEventMap {}
}
