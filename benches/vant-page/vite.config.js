// Built by scripts/bench.sh into a folder the bench server serves under /vant/. File names
// carry a 16-hex-digit content hash, the form the proxy caches for a year, so both pages get
// the same cache headers (hashed assets immutable, the rest revalidated).
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

const hashed = "assets/[name]-[hash:16]";
export default defineConfig({
  base: "/vant/",
  plugins: [vue()],
  build: {
    rollupOptions: {
      output: {
        hashCharacters: "hex",
        entryFileNames: `${hashed}.js`,
        chunkFileNames: `${hashed}.js`,
        assetFileNames: `${hashed}[extname]`,
      },
    },
  },
});
