/** Plumbing for the S3 object tests: hand-signed raw requests (aws-chunked bodies, aborts) and clients. */
import http from "node:http";
import { createHash, createHmac } from "node:crypto";
import zlib from "node:zlib";
import { S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";

type SourceData = string | ArrayBuffer | ArrayBufferView;
function toBytes(d: SourceData): string | Uint8Array {
  if (typeof d === "string") return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: SourceData) {
    this.h.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

export function s3Client(n: Nimbus, extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({ ...sdkConfig(n), forcePathStyle: true, ...extra });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A SigV4-signed request. `payloadHash` defaults to the body's SHA-256 (or UNSIGNED-PAYLOAD for a
 * body given in parts). `abortAfter` sends that many bytes of the body, then kills the socket.
 */
export async function rawS3(
  n: Nimbus,
  opts: {
    method: string;
    path: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: Buffer | string;
    payloadHash?: string;
    abortAfter?: number;
  },
): Promise<RawResponse> {
  const url = new URL(n.endpoint);
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: n.credentials, sha256: Sha256, uriEscapePath: false });
  const headers: Record<string, string> = {
    host: url.host,
    "x-amz-content-sha256": opts.payloadHash ?? createHash("sha256").update(body).digest("hex"),
    ...(opts.headers ?? {}),
  };
  if (headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) headers["content-length"] = String(body.length);
  const signed = await signer.sign({
    method: opts.method,
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: opts.path,
    ...(opts.query ? { query: opts.query } : {}),
    headers,
  });
  const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : "";
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: opts.method, path: opts.path + qs, headers: signed.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", (e) => (opts.abortAfter !== undefined ? resolve({ status: 0, headers: {}, body: Buffer.from(String(e)) }) : reject(e)));
    if (opts.abortAfter !== undefined) {
      req.write(body.subarray(0, opts.abortAfter), () => setTimeout(() => req.destroy(), 50));
      return;
    }
    req.end(body);
  });
}

/** An aws-chunked body (unsigned chunks) with the given trailer lines. */
export function awsChunked(data: Buffer, trailers: Record<string, string>, chunkSize = 64 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) {
    const c = data.subarray(i, i + chunkSize);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n"));
  for (const [k, v] of Object.entries(trailers)) parts.push(Buffer.from(`${k}:${v}\r\n`));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

export function crc32b64(data: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(data) >>> 0);
  return b.toString("base64");
}

export function md5b64(data: Buffer | string): string {
  return createHash("md5").update(data).digest("base64");
}

export function errorCode(body: Buffer): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body.toString("utf8"))?.[1];
}

/** The error an SDK v3 call failed with: its name (the S3 code) and HTTP status. */
export async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; err: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } } & Record<string, unknown>;
    return { name: err.name, status: err.$metadata?.httpStatusCode, err };
  }
  throw new Error("expected the call to fail");
}
