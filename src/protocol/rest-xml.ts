/**
 * The rest-xml protocol (S3, Route 53, CloudFront): HTTP bindings (path, query, headers, status)
 * come from rest-bindings.ts; this file owns the body, which is an XML document, or the raw
 * bytes of a blob/string payload member.
 *
 * Bodies:
 * - without a payload member, the body members sit in one element named by the shape's
 *   `locationName`, else the shape's name, carrying the shape's namespace or the service's;
 * - a structure payload is the document itself, its root named by the member's `locationName`
 *   when that differs from the member name, else the shape's `locationName`, else the shape
 *   name (what the SDK protocol tests expect); requests are read whatever their root is called;
 * - a blob or string payload is the body's bytes; a streaming blob is passed through as a stream.
 *
 * AWS quirks reproduced:
 * - S3 errors are a bare `<Error><Code/><Message/>...fields...<RequestId/></Error>`; every other
 *   rest-xml service wraps them: `<ErrorResponse><Error><Type/><Code/><Message/>...</Error>
 *   <RequestId/></ErrorResponse>`. A response to HEAD never has a body.
 * - A request body that is not well-formed XML is `MalformedXML` (400), as S3 answers.
 * - The request id also goes in headers: S3's `x-amz-request-id` (+ `x-amz-id-2`), elsewhere
 *   `x-amzn-RequestId`.
 * - A gzip body is inflated only for operations that declare `requestcompression`: for any
 *   other operation `Content-Encoding` describes the payload (S3 stores it as sent).
 */
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { OperationModel, ServiceModel, Shape, ShapeRef } from "./model.js";
import { parseRestBindings, resolveRestOperation, serializeRestBindings } from "./rest-bindings.js";
import type { ProtocolCodec, ResponseContext, WireRequest, WireResponse } from "./types.js";
import { fillIdempotencyTokens, toBuffer } from "./values.js";
import {
  XML_PROLOG,
  escapeXml,
  inBody,
  isS3,
  namespaceAttr,
  parseXml,
  readStructure,
  serviceNamespace,
  structureAttributes,
  writeErrorFields,
  writeStructureMembers,
} from "./xml.js";

function shapeNamed(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape named ${name}`);
  return shape;
}

/** The request body, inflated when the operation lets clients compress it. */
function requestBody(op: OperationModel, req: WireRequest): Buffer {
  const body = req.body;
  if (
    op.requestcompression &&
    body.length > 2 &&
    body[0] === 0x1f &&
    body[1] === 0x8b &&
    /gzip/i.test(req.headers["content-encoding"] ?? "")
  ) {
    try {
      return gunzipSync(body);
    } catch {
      throw new ServiceError(CommonErrors.MalformedXML, "The request body could not be decompressed.");
    }
  }
  return body;
}

function isBlank(body: Buffer): boolean {
  for (const b of body) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}

/** Whether a structure has any member that travels in the body. Cached per model. */
const bodyMemberFlags = new WeakMap<ServiceModel, Map<string, boolean>>();

function hasBodyMembers(model: ServiceModel, shapeName: string): boolean {
  let perModel = bodyMemberFlags.get(model);
  if (!perModel) bodyMemberFlags.set(model, (perModel = new Map()));
  let flag = perModel.get(shapeName);
  if (flag === undefined) {
    flag = Object.values(shapeNamed(model, shapeName).members ?? {}).some(inBody);
    perModel.set(shapeName, flag);
  }
  return flag;
}

/** The root element name of a structure payload (see the file comment). */
function payloadRootName(member: string, ref: ShapeRef, shape: Shape): string {
  if (ref.locationName && ref.locationName !== member) return ref.locationName;
  return shape.locationName ?? ref.shape;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return true;
  return false;
}

/**
 * Adds the request id headers (S3: `x-amz-request-id` and `x-amz-id-2`; others
 * `x-amzn-RequestId`) and drops the body of a response to HEAD.
 */
function finish(model: ServiceModel, res: WireResponse, ctx: ResponseContext): WireResponse {
  if (isS3(model)) {
    res.headers["x-amz-request-id"] = ctx.requestId;
    res.headers["x-amz-id-2"] = Buffer.from(ctx.requestId).toString("base64");
  } else {
    res.headers["x-amzn-requestid"] = ctx.requestId;
  }
  if (ctx.method === "HEAD") delete res.body;
  return res;
}

export const restXml: ProtocolCodec = {
  name: "rest-xml",

  resolveOperation(model, req) {
    return resolveRestOperation(model, req);
  },

  parseInput(model, op, req) {
    const { input, payloadMember, bodyMembers } = parseRestBindings(model, op, req);
    if (!op.input) return input;

    if (payloadMember) {
      const inputShape = shapeNamed(model, op.input.shape);
      const ref = inputShape.members?.[payloadMember] as ShapeRef;
      const shape = shapeNamed(model, ref.shape);
      if (shape.type === "structure" || shape.type === "union") {
        const body = requestBody(op, req);
        if (!isBlank(body)) input[payloadMember] = readStructure(model, ref.shape, parseXml(body));
      } else if (shape.type === "blob" && (ref.streaming || shape.streaming)) {
        input[payloadMember] = req.bodyStream ?? Readable.from([req.body]);
      } else if (input[payloadMember] === undefined) {
        const body = requestBody(op, req);
        if (body.length > 0) input[payloadMember] = shape.type === "blob" ? body : body.toString("utf8");
      }
      return input;
    }

    if (bodyMembers.length > 0) {
      const body = requestBody(op, req);
      if (!isBlank(body)) {
        // Members bound to the path or query string keep their bound values.
        for (const [k, v] of Object.entries(readStructure(model, op.input.shape, parseXml(body)))) {
          if (input[k] === undefined) input[k] = v;
        }
      }
      fillIdempotencyTokens(model, op.input.shape, input);
    }
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    const defaultStatus = op.http?.responseCode ?? 200;
    if (!op.output) return finish(model, { status: defaultStatus, headers: {} }, ctx);
    const shapeName = op.output.shape;
    const { status, headers, payloadMember } = serializeRestBindings(model, shapeName, output, defaultStatus);
    const res: WireResponse = { status, headers };

    if (payloadMember) {
      const value = output[payloadMember];
      if (value === undefined || value === null) return finish(model, res, ctx);
      const ref = shapeNamed(model, shapeName).members?.[payloadMember] as ShapeRef;
      const shape = shapeNamed(model, ref.shape);
      if (shape.type === "structure" || shape.type === "union") {
        const obj = value as Record<string, unknown>;
        const root = payloadRootName(payloadMember, ref, shape);
        const ns = namespaceAttr(ref.xmlNamespace ?? shape.xmlNamespace ?? serviceNamespace(model));
        res.body =
          `${XML_PROLOG}<${root}${ns}${structureAttributes(model, ref.shape, obj)}>` +
          `${writeStructureMembers(model, ref.shape, obj)}</${root}>`;
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/xml";
      } else if (shape.type === "blob") {
        res.body = value instanceof Readable ? value : toBuffer(value);
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/octet-stream";
      } else {
        res.body = String(value);
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "text/plain";
      }
      return finish(model, res, ctx);
    }

    if (hasBodyMembers(model, shapeName)) {
      const shape = shapeNamed(model, shapeName);
      const root = shape.locationName ?? shapeName;
      const ns = namespaceAttr(shape.xmlNamespace ?? serviceNamespace(model));
      res.body =
        `${XML_PROLOG}<${root}${ns}${structureAttributes(model, shapeName, output)}>` +
        `${writeStructureMembers(model, shapeName, output)}</${root}>`;
      if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/xml";
    }
    return finish(model, res, ctx);
  },

  serializeError(model, _op, error, ctx) {
    const headers: Record<string, string> = { ...error.headers };
    if (error.shapeName && error.fields && model.shapes[error.shapeName]?.type === "structure") {
      // Header-bound members of the error shape (e.g. a smithy `@httpHeader` on an error).
      Object.assign(headers, serializeRestBindings(model, error.shapeName, error.fields, error.status).headers);
    }
    const fields = writeErrorFields(model, error.shapeName, error.fields);
    const code = `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>`;
    const requestId = `<RequestId>${escapeXml(ctx.requestId)}</RequestId>`;
    const body = isS3(model)
      ? `${XML_PROLOG}<Error>${code}${fields}${requestId}</Error>`
      : `${XML_PROLOG}<ErrorResponse${namespaceAttr(serviceNamespace(model))}><Error>` +
        `<Type>${error.senderFault ? "Sender" : "Receiver"}</Type>${code}${fields}</Error>${requestId}</ErrorResponse>`;
    headers["content-type"] = "application/xml";
    return finish(model, { status: error.status, headers, body }, ctx);
  },
};
