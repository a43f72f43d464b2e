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
  picker.dataset.orderTotal = String(toFen(amount.value));
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
