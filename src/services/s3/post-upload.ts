/**
 * S3 browser-based uploads: `POST /<bucket>` with a `multipart/form-data` body (an HTML form).
 * The S3 model has no operation for it, so it comes in through the service's `formUpload` hook
 * (see core/service.ts): this module reads the form fields up to the file part, checks the
 * signed policy document, and hands the gateway a PutObject to authorize and run.
 *
 * - Signature (SigV4 only): `x-amz-signature` is the hex HMAC-SHA256 of the base64 `policy`
 *   field under the signing key of `x-amz-credential` (<key id>/<date>/<region>/s3/aws4_request).
 *   The key is looked up through the gateway (`env.credential`), so unknown, inactive and
 *   expired keys and session tokens fail as for signed requests. Without `policy` and signature
 *   fields the upload is anonymous, and only a bucket policy or ACL allowing public writes admits it.
 * - Policy: `expiration` (against the injected clock) and `conditions`: `{"field": "value"}`,
 *   `["eq", "$field", "value"]`, `["starts-with", "$field", "prefix"]` (Content-Type: every
 *   comma-separated value), `["content-length-range", min, max]`. Field names are matched case-
 *   insensitively, and conditions see the raw form values (`key` before `${filename}` is
 *   replaced). Every form field except policy, x-amz-signature, file and x-ignore-* must be
 *   covered by a condition ("Extra input fields").
 * - The file must be the last part; fields after it are ignored, as in S3. It is streamed into
 *   the blob store, never buffered; content-length-range is enforced while it streams.
 * - Answer: 204, or 200 / 201 (PostResponse XML) per success_action_status, or a 303 to
 *   success_action_redirect with bucket, key and etag in its query.
 *
 * Not supported: SigV2 policies (AWSAccessKeyId / signature), the `tagging` field, checksums and
 * SSE-C fields.
 */
import { Readable, Transform, type TransformCallback } from "node:stream";
// busboy: a small, long-maintained streaming multipart/form-data parser (the one multer and
// fastify use). It hands the file part over as a stream, which keeps uploads of any size out of
// memory; writing a correct multipart parser ourselves is not worth the risk.
import busboy from "busboy";
import type { FormUpload, FormUploadEnv, Principal, RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import type { WireRequest, WireResponse } from "../../protocol/types.js";
import { getSigningKey, signatureMatches } from "../../auth/sigv4.js";
import type { PutObjectRequest } from "../../generated/s3.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { putObject } from "./provider-objects.js";

const POLICY_FAILED = "Invalid according to Policy: ";
/** Form fields no policy condition needs to cover. */
const EXEMPT = new Set(["policy", "x-amz-signature", "file"]);
const MAX_FIELDS = 1000;
/** A form field's value (S3 limits the whole form before the file to 20 KB). */
const MAX_FIELD_BYTES = 20 * 1024;

const accessDenied = (message: string) => new ServiceError({ code: "AccessDenied", status: 403 }, message);
const invalidArgument = (message: string, name?: string, value?: string) =>
  new ServiceError(S3ObjectErrors.InvalidArgument, message, {
    ...(name !== undefined ? { ArgumentName: name } : {}),
    ...(value !== undefined ? { ArgumentValue: value } : {}),
  });
const invalidPolicy = (message: string) =>
  new ServiceError({ code: "InvalidPolicyDocument", status: 400 }, `Invalid Policy: ${message}`);

interface ParsedForm {
  /** Lower-case field name -> value (the first occurrence). */
  fields: Map<string, string>;
  file: Readable;
  filename: string;
}

/** The `formUpload` hook: a POST of a form to a bucket (path- or virtual-host-style). */
export async function s3FormUpload(req: WireRequest, body: Readable, env: FormUploadEnv): Promise<FormUpload | undefined> {
  const m = /^\/([^/]+)\/?$/.exec(req.path);
  if (!m || req.rawQuery !== "") return undefined;
  const bucket = decodeURIComponent(m[1]!);
  const form = await readForm(req, body);
  try {
    return await prepare(bucket, form, env);
  } catch (e) {
    form.file.resume();
    throw e;
  }
}

/** Read fields until the file part arrives; resolves with the file still unread. */
function readForm(req: WireRequest, body: Readable): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { "content-type": req.headers["content-type"] },
        limits: { fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: 1 },
        preservePath: true,
      });
    } catch {
      reject(new ServiceError({ code: "MalformedPOSTRequest", status: 400 }, "The body of your POST request is not well-formed multipart/form-data."));
      return;
    }
    const fields = new Map<string, string>();
    let done = false;
    const finish = (file: Readable, filename: string) => {
      if (done) {
        file.resume();
        return;
      }
      done = true;
      resolve({ fields, file, filename });
    };
    bb.on("field", (name, value, info) => {
      if (done) return; // fields after the file are ignored, as in S3
      const lower = name.toLowerCase();
      if (info.valueTruncated) {
        done = true;
        reject(invalidArgument(`Field value too long: ${name}`, name));
        return;
      }
      // A plain text field named "file" is the content (curl -F file=text).
      if (lower === "file") finish(Readable.from([Buffer.from(value, "utf8")]), "");
      else if (!fields.has(lower)) fields.set(lower, value);
    });
    bb.on("file", (name, stream, info) => {
      if (name.toLowerCase() !== "file") {
        stream.resume();
        return;
      }
      finish(stream, info.filename ?? "");
    });
    bb.on("error", (e) => {
      if (done) return;
      done = true;
      reject(new ServiceError({ code: "MalformedPOSTRequest", status: 400 }, `The body of your POST request is not well-formed multipart/form-data. (${String((e as Error).message ?? e)})`));
    });
    bb.on("close", () => {
      if (done) return;
      done = true;
      reject(new ServiceError({ code: "InvalidArgument", status: 400 }, "POST requires exactly one file upload per request.", { ArgumentName: "file", ArgumentValue: "0" }));
    });
    body.on("error", (e) => bb.destroy(e));
    body.pipe(bb);
  });
}

type Condition =
  | { kind: "eq" | "starts-with"; field: string; value: string; text: string }
  | { kind: "range"; min: number; max: number; text: string };

async function prepare(bucket: string, form: ParsedForm, env: FormUploadEnv): Promise<FormUpload> {
  const f = form.fields;
  const rawKey = f.get("key");
  if (rawKey === undefined) {
    throw invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", "key");
  }
  if (f.has("awsaccesskeyid") || f.has("signature")) {
    throw invalidArgument("Nimbus accepts only Signature Version 4 (x-amz-algorithm AWS4-HMAC-SHA256) POST policies.", "AWSAccessKeyId");
  }
  const policyText = f.get("policy");
  let principal: Principal = { type: "anonymous" };
  let region: string | undefined;
  let range: { min: number; max: number } | undefined;
  if (policyText !== undefined || f.has("x-amz-signature")) {
    if (policyText === undefined) {
      throw invalidArgument("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.", "policy");
    }
    const signed = await checkSignature(policyText, f, env);
    principal = signed.principal;
    region = signed.region;
    range = checkPolicy(policyText, bucket, f, env.clock.now());
  }

  const key = rawKey.replace("${filename}", form.filename);
  const input: Record<string, unknown> = { Bucket: bucket, Key: key };
  const set = (member: string, field: string) => {
    const v = f.get(field);
    if (v !== undefined) input[member] = v;
  };
  set("ContentType", "content-type");
  set("CacheControl", "cache-control");
  set("ContentDisposition", "content-disposition");
  set("ContentEncoding", "content-encoding");
  set("ACL", "acl");
  set("StorageClass", "x-amz-storage-class");
  set("WebsiteRedirectLocation", "x-amz-website-redirect-location");
  set("ServerSideEncryption", "x-amz-server-side-encryption");
  set("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id");
  const expires = f.get("expires");
  if (expires !== undefined) {
    const d = new Date(expires);
    if (Number.isNaN(d.getTime())) throw invalidArgument("Invalid Expires field", "Expires", expires);
    input.Expires = d;
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of f) if (name.startsWith("x-amz-meta-")) metadata[name.slice("x-amz-meta-".length)] = value;
  if (Object.keys(metadata).length > 0) input.Metadata = metadata;

  const file = form.file;
  return {
    operation: "PutObject",
    input,
    principal,
    ...(region !== undefined ? { region } : {}),
    abandon: () => file.resume(),
    run: async (ctx) => {
      const body = range ? file.pipe(new LengthRangeCheck(range.min, range.max)) : file;
      if (range) file.once("error", (e) => body.destroy(e));
      const out = await putObject(ctx, { ...input, Body: body } as unknown as PutObjectRequest, { lengthUnknown: true, eventName: "ObjectCreated:Post" }); // Post: its event name (events.ts)
      return respond(ctx, bucket, key, out.ETag ?? "", out.VersionId, f);
    },
  };
}

async function checkSignature(
  policy: string,
  f: Map<string, string>,
  env: FormUploadEnv,
): Promise<{ principal: Principal; region: string }> {
  const algorithm = f.get("x-amz-algorithm");
  if (algorithm === undefined) throw invalidArgument("Bucket POST must contain a field named 'x-amz-algorithm'.  If it is specified, please check the order of the fields.", "x-amz-algorithm");
  if (algorithm !== "AWS4-HMAC-SHA256") throw invalidArgument("Unsupported algorithm", "x-amz-algorithm", algorithm);
  const credential = f.get("x-amz-credential");
  if (credential === undefined) throw invalidArgument("Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, please check the order of the fields.", "x-amz-credential");
  const signature = f.get("x-amz-signature");
  if (signature === undefined) throw invalidArgument("Bucket POST must contain a field named 'x-amz-signature'.  If it is specified, please check the order of the fields.", "x-amz-signature");
  if (f.get("x-amz-date") === undefined) throw invalidArgument("Bucket POST must contain a field named 'x-amz-date'.  If it is specified, please check the order of the fields.", "x-amz-date");
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[3] !== "s3" || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1]!)) {
    throw invalidArgument(`Invalid credential: ${credential}`, "x-amz-credential", credential);
  }
  const [accessKeyId, date, region] = parts as [string, string, string];
  const found = await env.credential(accessKeyId, f.get("x-amz-security-token"));
  if (!signatureMatches(signature, getSigningKey(found.secretAccessKey, date, region, "s3"), policy)) {
    throw new ServiceError(
      { code: "SignatureDoesNotMatch", status: 403 },
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      { AWSAccessKeyId: accessKeyId, StringToSign: policy },
    );
  }
  return { principal: found.principal, region };
}

/** Check expiration and every condition; returns the content-length-range, if any. */
function checkPolicy(policyBase64: string, bucket: string, f: Map<string, string>, now: Date): { min: number; max: number } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(policyBase64, "base64").toString("utf8"));
  } catch {
    throw invalidPolicy("Invalid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalidPolicy("Invalid JSON.");
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw invalidPolicy("Policy missing expiration.");
  const expires = typeof expiration === "string" ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires)) throw invalidPolicy(`Invalid 'expiration' value: '${String(expiration)}'`);
  if (conditions === undefined) throw invalidPolicy("Policy missing conditions.");
  if (!Array.isArray(conditions)) throw invalidPolicy("Invalid 'conditions' value: must be a List.");
  if (expires <= now.getTime()) throw accessDenied(`${POLICY_FAILED}Policy expired.`);

  const parsed = conditions.flatMap(parseCondition);
  const value = (field: string) => (field === "bucket" ? bucket : (f.get(field) ?? ""));
  let range: { min: number; max: number } | undefined;
  const covered = new Set<string>();
  for (const c of parsed) {
    if (c.kind === "range") {
      range = { min: c.min, max: c.max };
      continue;
    }
    covered.add(c.field);
    const actual = value(c.field);
    const ok =
      c.kind === "eq"
        ? actual === c.value
        : c.field === "content-type"
          ? actual.split(",").every((v) => v.trim().startsWith(c.value))
          : actual.startsWith(c.value);
    if (!ok) throw accessDenied(`${POLICY_FAILED}Policy Condition failed: ${c.text}`);
  }
  const extra = [...f.keys()].filter((name) => !EXEMPT.has(name) && !name.startsWith("x-ignore-") && !covered.has(name));
  if (extra.length > 0) throw accessDenied(`${POLICY_FAILED}Extra input fields: ${extra.join(", ")}`);
  return range;
}

function parseCondition(c: unknown): Condition[] {
  const bad = () => invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
  if (Array.isArray(c)) {
    const [op, a, b] = c as unknown[];
    const opName = typeof op === "string" ? op.toLowerCase() : "";
    if (opName === "content-length-range") {
      const min = Number(a);
      const max = Number(b);
      if (c.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw bad();
      return [{ kind: "range", min, max, text: `["content-length-range", ${min}, ${max}]` }];
    }
    if ((opName === "eq" || opName === "starts-with") && c.length === 3 && typeof a === "string" && a.startsWith("$") && typeof b === "string") {
      return [{ kind: opName, field: a.slice(1).toLowerCase(), value: b, text: `["${opName}", "${a}", ${JSON.stringify(b)}]` }];
    }
    throw bad();
  }
  if (typeof c === "object" && c !== null) {
    return Object.entries(c).map(([name, v]) => {
      if (typeof v !== "string") throw bad();
      return { kind: "eq" as const, field: name.toLowerCase(), value: v, text: `["eq", "$${name}", ${JSON.stringify(v)}]` };
    });
  }
  throw bad();
}

/** Counts the file's bytes against the policy's content-length-range as it streams. */
class LengthRangeCheck extends Transform {
  private size = 0;
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      cb(new ServiceError(S3ObjectErrors.EntityTooLarge, undefined, { ProposedSize: this.size, MaxSizeAllowed: this.max }));
      return;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.size < this.min) {
      cb(new ServiceError({ code: "EntityTooSmall", status: 400 }, "Your proposed upload is smaller than the minimum allowed size", { ProposedSize: this.size, MinSizeAllowed: this.min }));
      return;
    }
    cb();
  }
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function respond(
  ctx: RequestContext,
  bucket: string,
  key: string,
  etag: string,
  versionId: string | undefined,
  f: Map<string, string>,
): WireResponse {
  const location = `${ctx.endpoint}/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const headers: Record<string, string> = { etag, location };
  if (versionId !== undefined) headers["x-amz-version-id"] = versionId;
  const redirect = f.get("success_action_redirect") ?? f.get("redirect");
  if (redirect) {
    try {
      const url = new URL(redirect);
      url.searchParams.set("bucket", bucket);
      url.searchParams.set("key", key);
      url.searchParams.set("etag", etag);
      return { status: 303, headers: { ...headers, location: url.toString() } };
    } catch {
      // Not a URL: S3 ignores it and answers per success_action_status.
    }
  }
  const status = f.get("success_action_status");
  if (status === "201") {
    return {
      status: 201,
      headers: { ...headers, "content-type": "application/xml" },
      body:
        `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${esc(location)}</Location>` +
        `<Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></PostResponse>`,
    };
  }
  return { status: status === "200" ? 200 : 204, headers };
}
