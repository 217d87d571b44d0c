import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console is built into dist/console-ui and served by Nimbus at /_nimbus/console/.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/_nimbus/console/",
  logLevel: "warn",
  build: {
    // NIMBUS_CONSOLE_OUT builds elsewhere (serve it with NIMBUS_CONSOLE_DIR).
    outDir: process.env.NIMBUS_CONSOLE_OUT ?? fileURLToPath(new URL("../dist/console-ui", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
