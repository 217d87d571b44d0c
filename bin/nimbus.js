#!/usr/bin/env node
// The `nimbus` command: runs the compiled CLI (npm install builds dist/).
import { main } from "../dist/cli.js";

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`nimbus: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
