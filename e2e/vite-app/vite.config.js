// The widget's files are loaded by `new URL(…, import.meta.url)` at run time: Vite copies them
// as assets when it builds, and must not pre-bundle the package when it serves.
export default { optimizeDeps: { exclude: ["coupon-widget"] } };
