// The demo page's own script (not part of the widget): wires the amount input to the picker
// and logs the events the widgets report. Loaded as a file, so the page keeps its strict CSP.
const picker = document.getElementById("picker");
const amount = document.getElementById("amount");
const payable = document.getElementById("payable");
const log = document.getElementById("events");

function toFen(yuan) {
  const n = Math.round(parseFloat(yuan) * 100);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function yuan(fen) {
  return "¥" + (fen / 100).toFixed(2);
}

amount.addEventListener("input", () => {
  picker.orderTotal = toFen(amount.value); // <coupon-picker>'s property: re-ranks at once
  payable.textContent = yuan(toFen(amount.value));
});
payable.textContent = yuan(toFen(amount.value));

for (const name of ["cw:select", "cw:use", "cw:entrance", "cw:claim", "cw:error"]) {
  document.addEventListener(name, (event) => {
    if (name === "cw:select") payable.textContent = yuan(event.detail.payable);
    const item = document.createElement("li");
    item.className = "demo-log__item";
    item.textContent = name + " " + JSON.stringify(event.detail);
    log.prepend(item);
  });
}

// Sandbox only: 模拟核销 redeems the coupon of the open use sheet at the sandbox's till, so
// anyone can watch the sheet turn to 已使用 (a 代金券's use comes back as WeChat's notification).
const redeem = document.createElement("button");
redeem.type = "button";
redeem.className = "demo-redeem";
redeem.textContent = "模拟核销";
redeem.hidden = true;
document.body.append(redeem);
let redeeming = null;
fetch("/api/v1/dev/users").then((r) => {
  if (!r.ok) return;
  document.addEventListener("cw:use", (event) => {
    if (event.detail.method !== "offline" && event.detail.method !== "payment_code") return;
    redeeming = event.detail.coupon_id;
    redeem.hidden = false;
    const watch = setInterval(() => {
      if (!document.querySelector(".cw-sheet")) {
        redeem.hidden = true;
        clearInterval(watch);
      }
    }, 300);
  });
});
redeem.addEventListener("click", async () => {
  const session = await (await fetch("/api/v1/session")).json();
  await fetch("/api/v1/dev/redeem", {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": session.csrf_token },
    body: JSON.stringify({ coupon_id: redeeming }),
  });
});
