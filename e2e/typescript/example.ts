// What a merchant's TypeScript writes against the widget (package/coupon-widget.d.ts), compiled
// with `tsc --strict` by scripts/test.sh. The `@ts-expect-error` lines must stay errors: the
// declarations refuse what the widget refuses.
import init, { mount, type MountOptions, type SelectDetail, type WidgetHandle } from "coupon-widget";

export async function embed(host: HTMLElement): Promise<WidgetHandle> {
  await init();
  const options: MountOptions = {
    view: "picker",
    apiBase: "/api/v1",
    locale: "zh-CN",
    order: { total: 12800, items: [{ goodsId: "SKU1", unitPrice: 900, quantity: 2 }] },
    theme: "dark",
    variables: { "--cw-accent": "#e02e24" },
  };
  const picker = mount(host, options);
  picker.setOrder({ total: 9900 });
  picker.refresh();
  // @ts-expect-error: not an option mount takes
  mount(host, { colour: "red" });
  // @ts-expect-error: a scheme is light, dark or auto
  mount(host, { theme: "sepia" });
  // @ts-expect-error: only --cw- custom properties
  mount(host, { variables: { color: "red" } });
  return picker;
}

export function elements(total: number): SelectDetail | null {
  const picker = document.createElement("coupon-picker");
  picker.orderTotal = total;
  picker.orderItems = [{ unitPrice: 900, quantity: 2 }];
  picker.theme = "light";
  picker.apiBase = "/api/v1";
  // @ts-expect-error: the total is fen, a number
  picker.orderTotal = "128.00";
  let last: SelectDetail | null = null;
  picker.addEventListener("cw:select", (event) => {
    last = event.detail;
    const payable: number = event.detail.payable;
    const chosen: string | null = event.detail.coupon_id;
    console.log(payable, chosen, event.detail.confirmed);
  });
  picker.addEventListener("cw:error", (event) => {
    if (event.detail.retryable && event.detail.code === "UPSTREAM_BUSY") picker.refresh();
    // @ts-expect-error: not a code the widget sends
    if (event.detail.code === "TEAPOT") return;
  });
  document.addEventListener("cw:use", (event) => {
    if (event.detail.method === "offline") console.log(event.detail.code ?? "");
  });
  const wallet: HTMLElementTagNameMap["coupon-wallet"] = document.querySelector("coupon-wallet")!;
  wallet.refresh();
  document.body.append(picker);
  return last;
}
