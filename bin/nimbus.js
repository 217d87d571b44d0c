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
    // A refusal the user can act on is said in one line; anything else with its stack.
    const plain = err && err.code === "NIMBUS_DATA_DIR_IN_USE";
    process.stderr.write(`nimbus: ${plain ? err.message : err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
