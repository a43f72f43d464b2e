// A merchant's app as Vite builds it: the widget comes from the npm package, its elements are
// created by the app's own code after start-up (as a Vue or React template would).
import { ready } from "coupon-widget";
import "coupon-widget/style.css";

window.heard = [];
for (const name of ["cw:select", "cw:error"]) {
  document.addEventListener(name, (event) => window.heard.push([name, event.detail]));
}
const app = document.getElementById("app");
const picker = document.createElement("coupon-picker");
picker.apiBase = "/api/v1";
picker.orderTotal = 12800;
const wallet = document.createElement("coupon-wallet");
wallet.setAttribute("api-base", "/api/v1");
app.append(picker, wallet);
ready.then(() => document.documentElement.setAttribute("data-widget-ready", ""));
