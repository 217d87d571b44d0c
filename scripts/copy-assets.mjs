// Build step: files that are not TypeScript but ship with the compiled code (Lambda's runtime
// bootstraps) are copied next to it in dist/.
import { cpSync } from "node:fs";

const ROOT = new URL("../", import.meta.url);
for (const dir of ["services/lambda/runtimes"]) {
  cpSync(new URL(`src/${dir}`, ROOT), new URL(`dist/${dir}`, ROOT), { recursive: true });
}
