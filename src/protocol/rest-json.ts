/**
 * The rest-json codec: HTTP bindings from rest-bindings.ts, a JSON document for the members
 * bound nowhere else, or the payload member as the whole body (a structure/union/document as
 * JSON, a blob or string as raw bytes, a streaming blob as the request/response stream, an
 * event stream as event-stream messages written as the handler's async iterable yields them).
 * Errors carry `x-amzn-errortype` and a JSON body.
 */
import { Readable } from "node:stream";
import type { OperationModel, ServiceModel, ShapeRef } from "./model.js";
import { shapeOf } from "./model.js";
import {
  errorFields,
  errorShapeName,
  isDocument,
  parseJsonBody,
  queryErrorHeader,
  readJsonStructure,
  readJsonValue,
  requestBody,
  jsonText,
  writeJsonStructure,
  writeJsonValue,
} from "./json.js";
import { EVENT_STREAM_CONTENT_TYPE, eventStreamBody, isAsyncIterable, type EventBodyWriter } from "./event-stream.js";
import { parseRestBindings, resolveRestOperation, serializeRestBindings } from "./rest-bindings.js";
import type { ProtocolCodec, ResponseContext, WireRequest, WireResponse } from "./types.js";
import { fillIdempotencyTokens, setOwn, toBuffer } from "./values.js";

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

function finish(res: WireResponse, ctx: ResponseContext): WireResponse {
  res.headers["x-amzn-requestid"] = ctx.requestId;
  if (ctx.method === "HEAD") delete res.body;
  return res;
}

const jsonEvents: EventBodyWriter = {
  contentType: "application/json",
  structure: (model, shapeName, value) => jsonText(() => writeJsonStructure(model, shapeName, value)),
};

function payloadRef(model: ServiceModel, shapeName: string, member: string): ShapeRef {
  return shapeOf(model, shapeName).members![member]!;
}

function readPayload(model: ServiceModel, ref: ShapeRef, req: WireRequest): unknown {
  const shape = shapeOf(model, ref);
  if (shape.type === "blob" && (ref.streaming || shape.streaming)) {
    return req.bodyStream ?? Readable.from([req.body]);
  }
  const body = requestBody(req);
  // An empty body means the payload member was not sent.
  if (body.length === 0) return undefined;
  if (isDocument(shape)) return parseJsonBody(body);
  switch (shape.type) {
    case "blob":
      return body;
    case "string":
      return body.toString("utf8");
    default:
      return readJsonValue(model, ref, parseJsonBody(body), ref.locationName ?? "");
  }
}

export const restJsonCodec: ProtocolCodec = {
  name: "rest-json",

  resolveOperation(model, req) {
    return resolveRestOperation(model, req);
  },

  parseInput(model, op: OperationModel, req) {
    const { input, payloadMember, bodyMembers } = parseRestBindings(model, op, req);
    if (!op.input) return input;
    if (payloadMember) {
      const value = readPayload(model, payloadRef(model, op.input.shape, payloadMember), req);
      if (value !== undefined) setOwn(input, payloadMember, value);
    } else if (bodyMembers.length > 0) {
      const raw = parseJsonBody(requestBody(req));
      const body = readJsonStructure(model, op.input.shape, raw, "", new Set(bodyMembers));
      for (const [k, v] of Object.entries(body)) setOwn(input, k, v);
    }
    fillIdempotencyTokens(model, op.input.shape, input);
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    const defaultStatus = op.http?.responseCode ?? 200;
    if (!op.output) return finish({ status: defaultStatus, headers: {} }, ctx);
    const shapeName = op.output.shape;
    const { status, headers, bodyValue, payloadMember } = serializeRestBindings(model, shapeName, output, defaultStatus);
    const res: WireResponse = { status, headers };

    if (payloadMember) {
      const value = output[payloadMember];
      if (value === undefined || value === null) return finish(res, ctx);
      const ref = payloadRef(model, shapeName, payloadMember);
      const shape = shapeOf(model, ref);
      if (shape.eventstream && isAsyncIterable(value)) {
        res.body = eventStreamBody(model, ref, value, jsonEvents);
        // Bindings may name the Content-Type header (Lambda's ResponseStreamContentType).
        if (!hasHeader(headers, "content-type")) headers["content-type"] = EVENT_STREAM_CONTENT_TYPE;
      } else if (shape.type === "blob") {
        res.body = value instanceof Readable ? value : toBuffer(value);
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/octet-stream";
      } else if (shape.type === "string") {
        res.body = String(value);
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "text/plain";
      } else {
        res.body = jsonText(() => writeJsonValue(model, ref, value));
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json";
      }
      return finish(res, ctx);
    }

    // An output whose members are all bound to headers or the status code has no body; any
    // other output (even one without members) is a JSON object.
    const members = Object.values(shapeOf(model, shapeName).members ?? {});
    if (members.length === 0 || members.some((m) => !m.location)) {
      res.body = jsonText(() => writeJsonStructure(model, shapeName, bodyValue));
      headers["content-type"] = "application/json";
    }
    return finish(res, ctx);
  },

  serializeError(model, _op, error, ctx) {
    const shapeName = errorShapeName(model, error);
    const headers: Record<string, string> = { ...error.headers };
    let bodyFields = error.fields;
    if (shapeName && error.fields) {
      // Header-bound members of the error shape go to headers; the rest to the body.
      const bound = serializeRestBindings(model, shapeName, error.fields, error.status);
      Object.assign(headers, bound.headers);
      bodyFields = bound.bodyValue;
    }
    headers["x-amzn-errortype"] = error.code;
    headers["content-type"] = "application/json";
    const queryError = queryErrorHeader(model, error);
    if (queryError) headers["x-amzn-query-error"] = queryError;
    const body = jsonText(() => errorFields(model, shapeName, error, bodyFields, writeJsonStructure));
    return finish({ status: error.status, headers, body }, ctx);
  },
};
