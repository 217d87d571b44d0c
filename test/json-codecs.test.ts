/**
 * Behaviour of the JSON-family codecs that the conformance vectors do not pin down: malformed
 * bodies, gzip request bodies, idempotency tokens, exact longs, CBOR number encodings, and the
 * error documents (query-compatible header, message member naming).
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { cborCodec, decodeCbor, encodeCbor } from "../src/protocol/cbor.js";
import { jsonCodec } from "../src/protocol/json.js";
import type { ServiceModel } from "../src/protocol/model.js";
import { restJsonCodec } from "../src/protocol/rest-json.js";
import type { WireRequest } from "../src/protocol/types.js";

const model: ServiceModel = {
  metadata: { protocol: "json", jsonVersion: "1.0", targetPrefix: "Demo_2024", awsQueryCompatible: {} },
  operations: {
    Put: { name: "Put", http: { method: "POST", requestUri: "/items/{Id}" }, input: { shape: "PutInput" }, output: { shape: "PutOutput" } },
  },
  shapes: {
    PutInput: {
      type: "structure",
      required: ["Id"],
      members: {
        Id: { shape: "String", location: "uri", locationName: "Id" },
        Token: { shape: "String", idempotencyToken: true },
        Count: { shape: "Long" },
        When: { shape: "Time" },
      },
    },
    PutOutput: { type: "structure", members: { Count: { shape: "Long" }, Ratio: { shape: "Double" }, When: { shape: "Time" } } },
    NotFound: {
      type: "structure",
      exception: true,
      error: { code: "AWS.Demo.NotFound", httpStatusCode: 404, senderFault: true },
      members: { Message: { shape: "String" }, Resource: { shape: "String" } },
    },
    String: { type: "string" },
    Long: { type: "long" },
    Double: { type: "double" },
    Time: { type: "timestamp" },
  },
};

function req(body: Buffer | string, headers: Record<string, string> = {}, path = "/"): WireRequest {
  return {
    method: "POST",
    path,
    rawQuery: "",
    query: [],
    headers: { "x-amz-target": "Demo_2024.Put", ...headers },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    hostname: "localhost",
  };
}

const ctx = { requestId: "req-1", method: "POST" };
const op = model.operations.Put!;

describe("awsJson codec", () => {
  it("routes by X-Amz-Target and only for the service's own prefix", () => {
    expect(jsonCodec.resolveOperation(model, req("{}"))).toBe("Put");
    expect(jsonCodec.resolveOperation(model, req("{}", { "x-amz-target": "Other.Put" }))).toBeUndefined();
    expect(jsonCodec.resolveOperation(model, req("{}", { "x-amz-target": "Demo_2024.Nope" }))).toBeUndefined();
  });

  it("rejects malformed JSON and wrongly typed members with SerializationException", () => {
    expect(() => jsonCodec.parseInput(model, op, req("{nope"))).toThrow(expect.objectContaining({ code: "SerializationException", status: 400 }));
    expect(() => jsonCodec.parseInput(model, op, req('{"Count":"7"}'))).toThrow(expect.objectContaining({ code: "SerializationException" }));
  });

  it("inflates gzip bodies, fills idempotency tokens and reads timestamps as Dates", () => {
    const input = jsonCodec.parseInput(model, op, req(gzipSync('{"Count":7,"When":1576540098.5}'), { "content-encoding": "gzip" }));
    expect(input.Count).toBe(7);
    expect(input.When).toEqual(new Date(1576540098500));
    expect(input.Token).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("writes longs past 2^53 exactly and fractional epoch seconds", () => {
    const res = jsonCodec.serializeOutput(model, op, { Count: 1234567890123456789n, When: new Date(1576540098123) }, ctx);
    expect(res.body).toBe('{"Count":1234567890123456789,"When":1576540098.123}');
    expect(res.headers["content-type"]).toBe("application/x-amz-json-1.0");
  });

  it("writes errors with __type, the shape's message member, fields and the query-compatible header", () => {
    const res = jsonCodec.serializeError(
      model,
      op,
      { code: "NotFound", message: "gone", status: 404, senderFault: true, shapeName: "NotFound", fields: { Resource: "r1" } },
      ctx,
    );
    expect(res.status).toBe(404);
    expect(JSON.parse(String(res.body))).toEqual({ __type: "NotFound", Message: "gone", Resource: "r1" });
    expect(res.headers["x-amzn-query-error"]).toBe("AWS.Demo.NotFound;Sender");
  });
});

describe("rest-json codec", () => {
  const rest: ServiceModel = { ...model, metadata: { protocol: "rest-json" } };
  it("binds the label and reads the body, with x-amzn-errortype on errors", () => {
    const r = { ...req('{"Count":3}', {}, "/items/a%20b"), headers: {} };
    expect(restJsonCodec.resolveOperation(rest, r)).toBe("Put");
    expect(restJsonCodec.parseInput(rest, rest.operations.Put!, r)).toMatchObject({ Id: "a b", Count: 3 });
    const res = restJsonCodec.serializeError(rest, undefined, { code: "ValidationException", message: "bad", status: 400, senderFault: true }, ctx);
    expect(res.headers["x-amzn-errortype"]).toBe("ValidationException");
    expect(JSON.parse(String(res.body))).toEqual({ message: "bad" });
  });
});

describe("rpc-v2-cbor codec", () => {
  const cbor: ServiceModel = { ...model, metadata: { protocol: "smithy-rpc-v2-cbor", targetPrefix: "Demo_2024" } };
  it("routes by path and decodes maps, tags and byte strings", () => {
    const r = { ...req(encodeCbor({ Count: 5, When: new Date(1000) }), {}, "/service/Demo/operation/Put"), headers: {} };
    expect(cborCodec.resolveOperation(cbor, r)).toBe("Put");
    expect(cborCodec.parseInput(cbor, op, r)).toMatchObject({ Count: 5, When: new Date(1000) });
  });

  it("writes integral doubles as CBOR floats, big longs as integers and timestamps as tag 1", () => {
    const res = cborCodec.serializeOutput(cbor, op, { Ratio: 2, Count: 2 ** 40, When: new Date(1500) }, ctx);
    const body = res.body as Buffer;
    // 0xfb: float64 for Ratio; 0x1b: uint64 for Count; 0xc1: tag 1 for When.
    expect(body.includes(Buffer.from([0xfb, 0x40, 0x00, 0, 0, 0, 0, 0, 0]))).toBe(true);
    expect(body.includes(Buffer.from([0x1b, 0, 0, 0x01, 0, 0, 0, 0, 0]))).toBe(true);
    expect(body.includes(Buffer.from([0xc1]))).toBe(true);
    expect(decodeCbor(body)).toEqual({ Count: 2n ** 40n, Ratio: 2, When: new Date(1500) });
  });

  it("decodes indefinite-length strings, which cbor-x alone refuses", () => {
    // {"a": (_ "ab" "c")} with an indefinite-length text string
    const bytes = Buffer.from([0xa1, 0x61, 0x61, 0x7f, 0x62, 0x61, 0x62, 0x61, 0x63, 0xff]);
    expect(decodeCbor(bytes)).toEqual({ a: "abc" });
  });

  it("sends no body and no content-type for an operation without output", () => {
    const res = cborCodec.serializeOutput(cbor, { name: "X" }, {}, ctx);
    expect(res.body).toBeUndefined();
    expect(res.headers["content-type"]).toBeUndefined();
    expect(res.headers["smithy-protocol"]).toBe("rpc-v2-cbor");
  });
});
