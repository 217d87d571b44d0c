/**
 * The REST router and bindings against real AWS models (S3, Lambda, API Gateway, Glacier): every
 * operation's own requestUri, filled in, must route back to it (or to an operation bound to the
 * very same method, path and query), ties between look-alike operations are broken by their
 * required headers, and lookups stay fast at S3's size.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { normalizeMinModel } from "../src/protocol/model-loader.js";
import type { OperationModel, ServiceModel } from "../src/protocol/model.js";
import { parseRestBindings, resolveRestOperation, serializeRestBindings, splitHeaderList } from "../src/protocol/rest-bindings.js";
import type { WireRequest } from "../src/protocol/types.js";

const require = createRequire(import.meta.url);

function load(uid: string): ServiceModel {
  return normalizeMinModel(require(`aws-sdk/apis/${uid}.min.json`) as Record<string, unknown>);
}

function request(method: string, uri: string, headers: Record<string, string> = {}): WireRequest {
  const q = uri.indexOf("?");
  const rawQuery = q >= 0 ? uri.slice(q + 1) : "";
  const query: Array<[string, string]> = [];
  for (const [k, v] of new URLSearchParams(rawQuery)) query.push([k, v]);
  return {
    method,
    path: q >= 0 ? uri.slice(0, q) : uri,
    rawQuery,
    query,
    headers,
    body: Buffer.alloc(0),
    hostname: "localhost",
  };
}

/** A request an SDK could send for the operation: labels filled, required members present. */
function sampleRequest(model: ServiceModel, op: OperationModel): WireRequest {
  const uri = op.http?.requestUri ?? "/";
  const [pathPart, literalQuery = ""] = uri.split("?");
  const path = pathPart!.replace(/\{([^}]+?)(\+?)\}/g, (_m, _name: string, greedy: string) =>
    greedy ? "some/key%20name.txt" : "label-value",
  );
  const query = literalQuery ? [literalQuery] : [];
  const headers: Record<string, string> = {};
  const input = op.input ? model.shapes[op.input.shape] : undefined;
  for (const name of input?.required ?? []) {
    const ref = input?.members?.[name];
    if (ref?.location === "header") headers[(ref.locationName ?? name).toLowerCase()] = "x";
    if (ref?.location === "querystring") query.push(`${encodeURIComponent(ref.locationName ?? name)}=1`);
  }
  return request(op.http?.method ?? "POST", query.length ? `${path}?${query.join("&")}` : path, headers);
}

function sameBinding(a: OperationModel | undefined, b: OperationModel): boolean {
  return a?.http?.method === b.http?.method && a?.http?.requestUri === b.http?.requestUri;
}

describe("rest router on real models", () => {
  for (const uid of ["s3-2006-03-01", "lambda-2015-03-31", "apigateway-2015-07-09", "glacier-2012-06-01"]) {
    it(`routes every ${uid} operation to itself`, () => {
      const model = load(uid);
      const wrong: string[] = [];
      for (const [name, op] of Object.entries(model.operations)) {
        const routed = resolveRestOperation(model, sampleRequest(model, op));
        if (routed !== name && !sameBinding(routed ? model.operations[routed] : undefined, op)) {
          wrong.push(`${name} -> ${String(routed)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it("breaks S3 ties by required headers and prefers literal query keys", () => {
    const s3 = load("s3-2006-03-01");
    expect(resolveRestOperation(s3, request("PUT", "/bucket/key"))).toBe("PutObject");
    expect(resolveRestOperation(s3, request("PUT", "/bucket/key", { "x-amz-copy-source": "/b/k" }))).toBe("CopyObject");
    expect(resolveRestOperation(s3, request("PUT", "/bucket/key?partNumber=1&uploadId=u"))).toBe("UploadPart");
    expect(
      resolveRestOperation(s3, request("PUT", "/bucket/key?partNumber=1&uploadId=u", { "x-amz-copy-source": "/b/k" })),
    ).toBe("UploadPartCopy");
    expect(resolveRestOperation(s3, request("GET", "/bucket"))).toBe("ListObjects");
    expect(resolveRestOperation(s3, request("GET", "/bucket?list-type=2"))).toBe("ListObjectsV2");
    expect(resolveRestOperation(s3, request("GET", "/bucket/"))).toBe("ListObjects");
    expect(resolveRestOperation(s3, request("GET", "/bucket?acl"))).toBe("GetBucketAcl");
    // The deprecated GetBucketLifecycle shares the binding of its replacement.
    expect(resolveRestOperation(s3, request("GET", "/bucket?lifecycle"))).toBe("GetBucketLifecycleConfiguration");
    expect(resolveRestOperation(s3, request("GET", "/bucket/a/b?acl"))).toBe("GetObjectAcl");
    expect(resolveRestOperation(s3, request("GET", "/"))).toBe("ListBuckets");
    expect(resolveRestOperation(s3, request("POST", "/bucket/key?uploads"))).toBe("CreateMultipartUpload");
    expect(resolveRestOperation(s3, request("PATCH", "/bucket"))).toBeUndefined();
  });

  it("decodes labels, keeping slashes in greedy ones", () => {
    const s3 = load("s3-2006-03-01");
    const req = request("GET", "/my-bucket/dir%2Fsub/file%20name+plus.txt");
    expect(resolveRestOperation(s3, req)).toBe("GetObject");
    const { input } = parseRestBindings(s3, s3.operations.GetObject!, req);
    expect(input).toMatchObject({ Bucket: "my-bucket", Key: "dir/sub/file name+plus.txt" });
    // A key may end in a slash (a "folder"), or hold empty segments.
    const folder = request("PUT", "/my-bucket/photos/2024/");
    expect(resolveRestOperation(s3, folder)).toBe("PutObject");
    expect(parseRestBindings(s3, s3.operations.PutObject!, folder).input).toMatchObject({ Key: "photos/2024/" });
    const slashes = request("GET", "/my-bucket//a//b");
    expect(parseRestBindings(s3, s3.operations.GetObject!, slashes).input).toMatchObject({ Key: "/a//b" });
  });

  it("resolves every S3 operation (lookup cost is reported, not asserted)", () => {
    const s3 = load("s3-2006-03-01");
    const reqs = Object.values(s3.operations).map((op) => sampleRequest(s3, op));
    resolveRestOperation(s3, reqs[0]!); // compile once
    const start = process.hrtime.bigint();
    const rounds = 100;
    for (let i = 0; i < rounds; i++) for (const r of reqs) resolveRestOperation(s3, r);
    const perLookupUs = Number(process.hrtime.bigint() - start) / 1000 / (rounds * reqs.length);
    console.log(`REST operation lookup at S3's size: ${perLookupUs.toFixed(2)} µs`);
    expect(Number.isFinite(perLookupUs)).toBe(true);
  });
});

describe("rest header bindings", () => {
  it("splits list headers with quoted items and HTTP dates", () => {
    expect(splitHeaderList('"b,c", "\\"def\\"", a')).toEqual(["b,c", '"def"', "a"]);
    expect(splitHeaderList("a, b,c")).toEqual(["a", "b", "c"]);
    expect(splitHeaderList("Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT", true)).toEqual([
      "Mon, 16 Dec 2019 23:48:18 GMT",
      "Tue, 17 Dec 2019 23:48:18 GMT",
    ]);
  });

  it("serializes headers, prefix maps and the status code, leaving the rest for the body", () => {
    const s3 = load("s3-2006-03-01");
    const out = serializeRestBindings(
      s3,
      s3.operations.GetObject!.output!.shape,
      {
        Body: Buffer.from("x"),
        ContentLength: 1,
        LastModified: new Date(Date.UTC(2019, 11, 16, 23, 48, 18)),
        Metadata: { color: "blue" },
        DeleteMarker: false,
      },
      200,
    );
    expect(out.status).toBe(200);
    expect(out.payloadMember).toBe("Body");
    expect(out.headers).toMatchObject({
      "Content-Length": "1",
      "Last-Modified": "Mon, 16 Dec 2019 23:48:18 GMT",
      "x-amz-meta-color": "blue",
      "x-amz-delete-marker": "false",
    });
    expect(Object.keys(out.bodyValue)).toEqual(["Body"]);
  });
});
