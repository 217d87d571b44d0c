/**
 * Pieces the benchmarks share: a small SigV4 signer for POSTs to "/" (root credentials test/test,
 * us-east-1; the benchmarks sign with it so that on a small machine the client's own CPU does not
 * decide the figure), a keep-alive POST, and a process's CPU time from /proc.
 */
import http from "node:http";
import { readFileSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";

const REGION = "us-east-1";
const KEY = "test";
const SECRET = "test";

const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
const sha256hex = (s) => createHash("sha256").update(s).digest("hex");
const keys = new Map();
function signingKey(date, service) {
  const id = `${date}/${service}`;
  let k = keys.get(id);
  if (!k) keys.set(id, (k = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, date), REGION), service), "aws4_request")));
  return k;
}

/** `headers` plus host, x-amz-date and a SigV4 authorization for a POST of `body` to "/". */
export function signed(host, service, headers, body) {
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const all = { host, "x-amz-date": amzDate, ...headers };
  const names = Object.keys(all).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonical = ["POST", "/", "", names.map((h) => `${h}:${lower[h]}\n`).join(""), names.join(";"), sha256hex(body)].join("\n");
  const scope = `${date}/${REGION}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonical)}`;
  const signature = createHmac("sha256", signingKey(date, service)).update(toSign).digest("hex");
  all.authorization = `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return all;
}

/** POST `body` with `headers`; resolves with the status and the body as text. */
export function post(url, agent, headers, body, path = "/") {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: "POST", path, headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN if unknown. */
export function cpuMs(pid) {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}
