/**
 * Function URLs: a real HTTP endpoint per function (or alias), at
 * `http://<url-id>.lambda-url.<region>.localhost:<port>/` and, for clients without wildcard DNS,
 * `/_nimbus/lambda-url/<url-id>/...`. Requests become payload format 2.0 events; the function's
 * answer becomes the HTTP response as AWS maps it (a `statusCode` object, or any JSON as a 200
 * application/json body). AuthType NONE needs a resource policy statement allowing
 * `lambda:InvokeFunctionUrl` to everyone, as AWS requires. AuthType AWS_IAM needs a request
 * SigV4-signed for the `lambda` service (verified by the gateway's own verifier) by a principal
 * the identity policies or the function's resource policy allow `lambda:InvokeFunctionUrl`
 * (condition key `lambda:FunctionUrlAuthType` = AWS_IAM); others get 403 {"Message":"Forbidden"}.
 * CORS preflights are answered from the URL's Cors configuration.
 *
 * InvokeMode RESPONSE_STREAM: the response's status and headers come from the function's HTTP
 * prelude (awslambda.HttpResponseStream.from: JSON, then eight NUL bytes) as soon as it is
 * written, and the body follows chunked as the function produces it; a function error after that
 * cuts the connection, as the status is already sent. A function that does not stream is mapped
 * as in BUFFERED mode. In BUFFERED mode a streamed response is collected first (its prelude, if
 * any, still gives the status and headers).
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { Principal, WebsiteHook, WebsiteEnv } from "../../core/service.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { WireRequest, WireResponse } from "../../protocol/types.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import { ServiceError } from "../../core/errors.js";
import { executorOf } from "./async-invoke.js";
import type { Executor, InvokeResult, InvokeSpec } from "./environments.js";
import { HTTP_INTEGRATION, splitPrelude, UrlStreamSink, type HttpPrelude } from "./response-streaming.js";
import { functionArn, tables, versionKey, aliasKey, SEP } from "./store.js";

export interface UrlConfig {
  FunctionUrl: string;
  FunctionArn: string;
  AuthType: string;
  Cors?: { AllowCredentials?: boolean; AllowHeaders?: string[]; AllowMethods?: string[]; AllowOrigins?: string[]; ExposeHeaders?: string[]; MaxAge?: number };
  CreationTime: string;
  LastModifiedTime: string;
  InvokeMode: string;
  urlId: string;
}

interface UrlIndex {
  account: string;
  region: string;
  name: string;
  qualifier?: string;
}

const INDEX: Scope = { account: "global", region: GLOBAL_REGION, service: "lambda" };
export const urlTable = (metadata: MetadataStore, scope: Scope) => metadata.table<UrlConfig>(scope, "function-urls");
export const urlKey = (name: string, qualifier?: string) => name + SEP + (qualifier ?? "");
const index = (metadata: MetadataStore) => metadata.table<UrlIndex>(INDEX, "url-index");

export const newUrlId = () => Array.from(randomBytes(32), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

export function functionUrl(endpoint: string, urlId: string, region: string): string {
  const u = new URL(endpoint);
  return `${u.protocol}//${urlId}.lambda-url.${region}.localhost:${u.port || (u.protocol === "https:" ? "443" : "80")}/`;
}

export async function indexUrl(metadata: MetadataStore, urlId: string, entry: UrlIndex | undefined): Promise<void> {
  if (entry) await index(metadata).put(urlId, entry);
  else await index(metadata).delete(urlId);
}

const HOST = /^([a-z0-9]{32})\.lambda-url\.([a-z0-9-]+)\.localhost(?::\d+)?$/;
const PREFIX = "/_nimbus/lambda-url/";

function locate(req: WireRequest): { urlId: string; path: string } | undefined {
  const host = HOST.exec(req.headers.host ?? "");
  if (host) return { urlId: host[1]!, path: req.path || "/" };
  if (!req.path.startsWith(PREFIX)) return undefined;
  const rest = req.path.slice(PREFIX.length);
  const slash = rest.indexOf("/");
  return { urlId: slash < 0 ? rest : rest.slice(0, slash), path: slash < 0 ? "/" : rest.slice(slash) };
}

const text = (status: number, message: string, headers: Record<string, string> = {}): WireResponse => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify({ Message: message }),
});

function corsHeaders(cfg: UrlConfig, origin: string | undefined): Record<string, string> {
  const c = cfg.Cors;
  if (!c || !origin) return {};
  const allowed = (c.AllowOrigins ?? []).some((o) => o === "*" || o === origin);
  if (!allowed) return {};
  return {
    "access-control-allow-origin": (c.AllowOrigins ?? []).includes("*") && !c.AllowCredentials ? "*" : origin,
    ...(c.AllowCredentials ? { "access-control-allow-credentials": "true" } : {}),
    ...(c.ExposeHeaders?.length ? { "access-control-expose-headers": c.ExposeHeaders.join(",") } : {}),
    vary: "Origin",
  };
}

function publicByPolicy(policy: { Principal: unknown; Action: string; Condition?: Record<string, Record<string, string>> }[] | undefined): boolean {
  return (policy ?? []).some(
    (s) =>
      (s.Principal === "*" || (typeof s.Principal === "object" && (s.Principal as { AWS?: string }).AWS === "*")) &&
      ["lambda:InvokeFunctionUrl", "lambda:*", "*"].includes(s.Action) &&
      (s.Condition?.StringEquals?.["lambda:FunctionUrlAuthType"] ?? "NONE") === "NONE",
  );
}

/** The signer of an AWS_IAM URL request, when the signature holds and IAM allows the call. */
async function iamCaller(req: WireRequest, env: WebsiteEnv, fnArn: string, region: string): Promise<Principal | undefined> {
  let principal: Principal;
  try {
    principal = await env.authenticate(req, "lambda");
  } catch {
    // AWS answers a bad or unknown signature on a function URL with the same bare 403.
    return undefined;
  }
  if (principal.type === "anonymous") return undefined;
  const allowed = await env.allowed("InvokeFunctionUrl", { FunctionName: fnArn }, { principal, region });
  return allowed ? principal : undefined;
}

/** requestContext.authorizer.iam of a signed request's event, as AWS fills it. */
function iamAuthorizer(p: Exclude<Principal, { type: "anonymous" }>) {
  return {
    accessKey: p.accessKeyId,
    accountId: p.account,
    callerId: p.type === "assumed-role" ? `${p.roleId}:${p.sessionName}` : p.userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: p.arn,
    userId: p.type === "assumed-role" ? `${p.roleId}:${p.sessionName}` : p.userId,
  };
}

const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|.*\+(json|xml))/i;

function clfTime(d: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

async function serve(req: WireRequest, env: WebsiteEnv): Promise<WireResponse> {
  const where = locate(req)!;
  const metadata = env.storage.metadata;
  const entry = await index(metadata).get(where.urlId);
  if (!entry) return text(404, "Not Found");
  const scope: Scope = { account: entry.account, region: entry.region, service: "lambda" };
  const cfg = await urlTable(metadata, scope).get(urlKey(entry.name, entry.qualifier));
  const t = tables(metadata, scope);
  const rec = await t.functions.get(entry.name);
  if (!cfg || !rec) return text(404, "Not Found");
  const origin = req.headers.origin;
  if (req.method === "OPTIONS" && cfg.Cors && req.headers["access-control-request-method"]) {
    const c = cfg.Cors;
    return {
      status: 200,
      headers: {
        ...corsHeaders(cfg, origin),
        ...(c.AllowMethods?.length ? { "access-control-allow-methods": c.AllowMethods.join(",") } : {}),
        ...(c.AllowHeaders?.length ? { "access-control-allow-headers": c.AllowHeaders.join(",") } : {}),
        ...(c.MaxAge !== undefined ? { "access-control-max-age": String(c.MaxAge) } : {}),
      },
      body: "",
    };
  }
  let caller: Principal | undefined;
  if (cfg.AuthType === "AWS_IAM") {
    caller = await iamCaller(req, env, functionArn(scope, entry.name, entry.qualifier), entry.region);
    if (!caller) return text(403, "Forbidden", corsHeaders(cfg, origin));
  } else if (!publicByPolicy(rec.policy)) return text(403, "Forbidden", corsHeaders(cfg, origin));
  let config = rec.config;
  let code = rec.code;
  let version = "$LATEST";
  if (entry.qualifier && entry.qualifier !== "$LATEST") {
    const alias = await t.aliases.get(aliasKey(entry.name, entry.qualifier));
    const v = alias?.FunctionVersion ?? entry.qualifier;
    if (v !== "$LATEST") {
      const stored = await t.versions.get(versionKey(entry.name, v));
      if (!stored) return text(404, "Not Found");
      config = stored.config;
      code = stored.code;
      version = v;
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== "cookie") headers[k] = v;
  const cookies = req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined;
  const qs: Record<string, string> = {};
  for (const [k, v] of req.query) qs[k] = qs[k] !== undefined ? `${qs[k]},${v}` : v;
  const textual = TEXTUAL.test(req.headers["content-type"] ?? "");
  const now = new Date();
  const requestId = randomBytes(16).toString("hex").replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5");
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: where.path,
    rawQueryString: req.rawQuery,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(req.query.length ? { queryStringParameters: qs } : {}),
    requestContext: {
      accountId: caller?.account ?? "anonymous",
      ...(caller && caller.type !== "anonymous" ? { authorizer: { iam: iamAuthorizer(caller) } } : {}),
      apiId: where.urlId,
      domainName: req.headers.host ?? "",
      domainPrefix: where.urlId,
      http: { method: req.method, path: where.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: req.headers["user-agent"] ?? "" },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(req.body.length ? { body: textual ? req.body.toString("utf8") : req.body.toString("base64") } : {}),
    isBase64Encoded: req.body.length > 0 && !textual,
  };
  const executor = executorOf(metadata);
  if (!executor) return text(500, "Internal Server Error");
  const spec: InvokeSpec = {
    scope,
    config,
    code,
    version,
    invokedArn: functionArn(scope, entry.name, entry.qualifier),
    payload: Buffer.from(JSON.stringify(event)),
    ...(rec.reservedConcurrency !== undefined ? { reservedConcurrency: rec.reservedConcurrency } : {}),
    endpoint: `http://127.0.0.1:${/:(\d+)$/.exec(req.headers.host ?? "")?.[1] ?? "4566"}`,
    requestId,
  };
  const cors = corsHeaders(cfg, origin);
  if (cfg.InvokeMode === "RESPONSE_STREAM") return streamResponse(executor, spec, cors, requestId);
  let result;
  try {
    result = await executor.invoke(spec);
  } catch {
    return text(429, "Rate Exceeded.", cors);
  }
  return bufferedResponse(result, cors, requestId);
}

/** The response of a prelude (status, headers, cookies) and a body. */
function preludeResponse(prelude: HttpPrelude, body: Buffer | Readable, cors: Record<string, string>, requestId: string): WireResponse {
  const headers: Record<string, string> = { "content-type": "application/octet-stream", ...cors, "x-amzn-requestid": requestId, ...prelude.headers };
  if (prelude.cookies.length) headers["set-cookie"] = prelude.cookies.join(", ");
  return { status: prelude.statusCode, headers, body };
}

/** A RESPONSE_STREAM URL: the head once the function has written its prelude, then the body as it comes. */
async function streamResponse(executor: Executor, spec: InvokeSpec, cors: Record<string, string>, requestId: string): Promise<WireResponse> {
  const sink = new UrlStreamSink();
  const done = executor.invoke({ ...spec, stream: sink });
  const ended = done.then(
    (result) => {
      sink.finish();
      // The head is out already: a failure can only cut the body short.
      // (A ServiceError: the gateway logs other errors as its own internal failures.)
      if (result.functionError) sink.body.fail(new ServiceError({ code: result.errorType ?? result.functionError, status: 502 }, "The function failed after its response began."));
      return result;
    },
    (e: unknown) => {
      sink.body.fail(e);
      throw e;
    },
  );
  let first: { head: HttpPrelude } | { result: InvokeResult };
  try {
    first = await Promise.race([sink.head.then((head) => ({ head })), ended.then((result) => ({ result }))]);
  } catch {
    return text(429, "Rate Exceeded.", cors);
  }
  if ("result" in first && !first.result.streamed) return bufferedResponse(first.result, cors, requestId);
  if ("result" in first && first.result.functionError) return text(502, "Internal Server Error", { ...cors, "x-amzn-requestid": requestId });
  ended.catch(() => undefined);
  const head = "head" in first ? first.head : await sink.head;
  return preludeResponse(head, Readable.from(sink.body, { objectMode: false }), cors, requestId);
}

function bufferedResponse(result: InvokeResult, cors: Record<string, string>, requestId: string): WireResponse {
  if (result.functionError) return text(502, "Internal Server Error", { ...cors, "x-amzn-requestid": requestId });
  if (result.streamed?.contentType.split(";")[0]!.trim().toLowerCase() === HTTP_INTEGRATION) {
    const { prelude, body } = splitPrelude(result.payload);
    return preludeResponse(prelude, body, cors, requestId);
  }
  if (result.streamed) return { status: 200, headers: { "content-type": result.streamed.contentType, ...cors, "x-amzn-requestid": requestId }, body: result.payload };
  let value: unknown;
  try {
    value = JSON.parse(result.payload.toString("utf8") || "null");
  } catch {
    return text(502, "Internal Server Error", cors);
  }
  // AWS's mapping: an object with statusCode is a response; anything else is a JSON 200 body.
  if (value && typeof value === "object" && !Array.isArray(value) && "statusCode" in value) {
    const r = value as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const out: Record<string, string> = { "content-type": "application/json", ...cors, "x-amzn-requestid": requestId };
    for (const [k, v] of Object.entries(r.headers ?? {})) out[k.toLowerCase()] = String(v);
    if (r.cookies?.length) out["set-cookie"] = r.cookies.join(", ");
    const body = r.body === undefined ? "" : r.isBase64Encoded ? Buffer.from(r.body, "base64") : String(r.body);
    return { status: r.statusCode, headers: out, body };
  }
  return { status: 200, headers: { "content-type": "application/json", ...cors, "x-amzn-requestid": requestId }, body: typeof value === "string" ? value : JSON.stringify(value) };
}

export const functionUrlHook: WebsiteHook = {
  pathPrefix: PREFIX,
  readsBody: true,
  matches: (req) => req.path.startsWith(PREFIX) || HOST.test(req.headers.host ?? ""),
  serve,
};
