import { it } from "vitest";
import { loadVectorFiles } from "/work/main/test/conformance/vectors.js";
import { codecs } from "/work/main/src/protocol/index.js";
import { toHandlerValue } from "/work/main/test/conformance/compare.js";
it("dbg", () => {
  const f = loadVectorFiles().find((f) => f.file === process.env.VF)!;
  for (const s of f.suites) for (const c of s.cases) if (c.id === process.env.VID) {
    const model = { metadata: s.metadata, operations: { [c.given.name]: c.given }, shapes: s.shapes };
    const out = toHandlerValue(model, { shape: c.given.output!.shape }, c.result) as Record<string, unknown>;
    const res = codecs[s.metadata.protocol]!.serializeOutput(model, c.given, out, { requestId: "r", method: "POST" });
    console.log(JSON.stringify(c.given), "\n", res.status, res.headers, String(res.body), "\nVECTOR:", c.response?.body);
  }
});
