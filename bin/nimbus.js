#!/usr/bin/env node
// The `nimbus` command: runs the compiled CLI (npm install builds dist/).
import module from "node:module";

// Node 22.1+ keeps V8's compiled code between runs (a shorter start); older Node skips this.
module.enableCompileCache?.();
const { main } = await import("../dist/cli.js");

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`nimbus: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
