// Vant's CouponList wired as its docs show, with each component and its style imported on
// its own (the smallest Vant page). `?user=<openid>` names the JSON file the bench wrote from
// that user's coupons; `?view=demo` adds the checkout's CouponCell above the list, as our demo
// page has the picker above the wallet.
import { createApp, h, ref } from "vue";
import { CouponCell, CouponList } from "vant";
import "vant/es/coupon-cell/style";
import "vant/es/coupon-list/style";

const params = new URLSearchParams(location.search);
const user = params.get("user") ?? "o_sandbox_demo";
const demo = params.get("view") === "demo";
const orderTotal = 12800;

const App = {
  setup() {
    const coupons = ref([]);
    const disabled = ref([]);
    const chosen = ref(-1);
    fetch(`/vant/data/${encodeURIComponent(user)}.json`)
      .then((r) => r.json())
      .then((data) => {
        coupons.value = data.coupons;
        disabled.value = data.disabled;
        // The best coupon the order can take, as a hand-written checkout picks it.
        let best = -1;
        data.coupons.forEach((c, i) => {
          if (c.threshold <= orderTotal && (best < 0 || c.value > data.coupons[best].value)) best = i;
        });
        chosen.value = best;
      });
    return () => [
      demo ? h(CouponCell, { coupons: coupons.value, chosenCoupon: chosen.value }) : null,
      h(CouponList, {
        coupons: coupons.value,
        disabledCoupons: disabled.value,
        chosenCoupon: chosen.value,
        showExchangeBar: false,
        onChange: (i) => (chosen.value = i),
      }),
    ];
  },
};

createApp(App).mount("#app");
