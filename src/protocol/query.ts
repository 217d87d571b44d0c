/**
 * The awsQuery protocol (IAM, STS, SNS, CloudWatch, ...; SQS before it moved to JSON): input is
 * a flat list of form parameters (POST body or GET query string) naming an `Action`; output and
 * errors are XML documents.
 *
 * Input keys, as the SDKs write them and as this parser accepts them:
 * - structure members: `Prefix.Member` (the member's `locationName`, else its name);
 * - lists: `Name.member.N` (or `Name.<member locationName>.N`); flattened lists `Name.N`, where
 *   botocore replaces the last segment by the list member's `locationName`
 *   (SQS `AttributeName.1`, `SendMessageBatchRequestEntry.1.Id`); `Name=` is an empty list;
 * - maps: `Name.entry.N.key` / `.value` (or the key/value `locationName`s); flattened maps
 *   `Name.N.key` / `.value` (SQS `MessageAttribute.1.Name` / `.Value.StringValue`).
 * The parser accepts every one of those spellings for any list or map, numbered from any
 * integer, in numeric order; it ignores keys the input shape does not name (`Action`,
 * `Version`, signature parameters).
 *
 * Output: `<XResponse xmlns=NS><XResult>...</XResult><ResponseMetadata><RequestId/>...`, the
 * result element named by the operation's `resultWrapper` (default `XResult`). Errors:
 * `<ErrorResponse xmlns=NS><Error><Type>Sender|Receiver</Type><Code/><Message/>...fields...
 * </Error><RequestId/></ErrorResponse>`.
 *
 * Absent `idempotencyToken` members get a fresh token, as an SDK would have sent. Responses
 * carry the request id in `x-amzn-RequestId` as well as in the document.
 *
 * A gzip-compressed form body (the SDKs' `requestcompression`, e.g. CloudWatch PutMetricData)
 * is inflated first.
 */
import { gunzipSync } from "node:zlib";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { ServiceModel, Shape, ShapeRef } from "./model.js";
import type { ProtocolCodec, ResponseContext, WireError, WireRequest, WireResponse } from "./types.js";
import { fillIdempotencyTokens, parseFloatValue, parseTimestamp, setOwn } from "./values.js";
import { escapeXml, namespaceAttr, serviceNamespace, writeErrorFields, writeStructureMembers } from "./xml.js";

// ---------------------------------------------------------------------------------------------
// Form parameters
// ---------------------------------------------------------------------------------------------

const formCache = new WeakMap<WireRequest, { body: Buffer; params: Array<[string, string]> }>();

/**
 * All form parameters of a request: the query string's, then the form body's (so the body wins
 * when a key repeats). Cached per request (`resolveOperation` and `parseInput` both need them),
 * and per body, in case the body is read after a first look.
 */
export function formParams(req: WireRequest): Array<[string, string]> {
  const cached = formCache.get(req);
  if (cached && cached.body === req.body) return cached.params;
  const params = req.query.slice();
  if (req.body.length > 0 && req.method !== "GET" && isFormBody(req)) {
    let body = req.body;
    // 0x1f 0x8b: the gzip magic number. Checked so that a mislabelled plain body still parses.
    if (body[0] === 0x1f && body[1] === 0x8b && /gzip/i.test(req.headers["content-encoding"] ?? "")) {
      try {
        body = gunzipSync(body);
      } catch {
        throw new ServiceError(CommonErrors.MalformedQueryString, "The request body could not be decompressed.");
      }
    }
    for (const pair of new URLSearchParams(body.toString("utf8"))) params.push(pair);
  }
  formCache.set(req, { body: req.body, params });
  return params;
}

function isFormBody(req: WireRequest): boolean {
  const type = req.headers["content-type"];
  // Some hand-written clients send no content type; a body is then taken to be a form.
  return type === undefined || type === "" || type.toLowerCase().includes("x-www-form-urlencoded");
}

/** The last value of a form parameter. */
export function formParam(req: WireRequest, name: string): string | undefined {
  const params = formParams(req);
  for (let i = params.length - 1; i >= 0; i--) if (params[i][0] === name) return params[i][1];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Decoding the parameters by shape
// ---------------------------------------------------------------------------------------------

/** Form keys split on "." into a tree: `A.member.1=x` is A -> member -> 1 (value x). */
interface ParamNode {
  value?: string;
  children?: Map<string, ParamNode>;
}

function buildTree(params: Array<[string, string]>): ParamNode {
  const root: ParamNode = {};
  for (const [key, value] of params) {
    let node = root;
    let start = 0;
    for (;;) {
      const dot = key.indexOf(".", start);
      const part = dot < 0 ? key.slice(start) : key.slice(start, dot);
      const children = node.children ?? (node.children = new Map());
      let next = children.get(part);
      if (!next) children.set(part, (next = {}));
      node = next;
      if (dot < 0) break;
      start = dot + 1;
    }
    node.value = value;
  }
  return root;
}

/** How a dialect of the query protocol names a structure member on the wire. */
export interface QueryNaming {
  /** Every key a member may appear under, preferred spelling first. */
  memberKeys(member: string, ref: ShapeRef, target: Shape): string[];
  /** The error to throw for a value that does not parse as its type. */
  invalidValue(key: string, raw: string): ServiceError;
}

export const queryNaming: QueryNaming = {
  memberKeys(member, ref, target) {
    const keys = [ref.xmlName ?? ref.locationName ?? member, ref.locationName ?? member, member];
    // botocore names flattened list items by the list member's locationName.
    const itemName = target.type === "list" && (ref.flattened || target.flattened) ? target.member?.locationName : undefined;
    if (itemName) keys.push(itemName);
    return keys;
  },
  invalidValue(key, raw) {
    return new ServiceError(
      CommonErrors.ValidationError,
      `1 validation error detected: Value '${raw}' at '${key}' failed to satisfy constraint: Member must be of the declared type`,
    );
  },
};

interface DecodeMember {
  member: string;
  ref: ShapeRef;
  shape: Shape;
}

const decodePlans = new WeakMap<QueryNaming, WeakMap<ServiceModel, Map<string, Map<string, DecodeMember>>>>();

/** Per structure shape: every accepted wire key -> the member it names. Built once per model. */
function decodePlan(model: ServiceModel, shapeName: string, naming: QueryNaming): Map<string, DecodeMember> {
  let perNaming = decodePlans.get(naming);
  if (!perNaming) decodePlans.set(naming, (perNaming = new WeakMap()));
  let perModel = perNaming.get(model);
  if (!perModel) perNaming.set(model, (perModel = new Map()));
  let plan = perModel.get(shapeName);
  if (plan) return plan;
  plan = new Map();
  const shape = shapeOfName(model, shapeName);
  // Preferred spellings of every member first, so that an alias never shadows another member.
  const aliases: Array<[string, DecodeMember]> = [];
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    const target = shapeOfName(model, ref.shape);
    const entry = { member, ref, shape: target };
    const keys = naming.memberKeys(member, ref, target);
    if (!plan.has(keys[0])) plan.set(keys[0], entry);
    for (const k of keys.slice(1)) aliases.push([k, entry]);
  }
  for (const [k, entry] of aliases) if (!plan.has(k)) plan.set(k, entry);
  perModel.set(shapeName, plan);
  return plan;
}

function shapeOfName(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape named ${name}`);
  return shape;
}

/** Decode a request's form parameters as the input structure `shapeName`. */
export function decodeParams(
  model: ServiceModel,
  shapeName: string,
  params: Array<[string, string]>,
  naming: QueryNaming,
): Record<string, unknown> {
  return decodeStructure(model, shapeName, buildTree(params), naming, "");
}

function decodeStructure(model: ServiceModel, shapeName: string, node: ParamNode, naming: QueryNaming, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!node.children) return out;
  const plan = decodePlan(model, shapeName, naming);
  for (const [key, child] of node.children) {
    const m = plan.get(key);
    if (!m || out[m.member] !== undefined) continue;
    const value = decodeValue(model, m.ref, m.shape, child, naming, path ? `${path}.${key}` : key);
    if (value !== undefined) out[m.member] = value;
  }
  return out;
}

function decodeValue(model: ServiceModel, ref: ShapeRef, shape: Shape, node: ParamNode, naming: QueryNaming, path: string): unknown {
  switch (shape.type) {
    case "structure":
    case "union":
      return decodeStructure(model, ref.shape, node, naming, path);
    case "list": {
      const memberRef = shape.member as ShapeRef;
      const memberShape = shapeOfName(model, memberRef.shape);
      const items = numbered(node, memberRef.locationName ?? "member");
      if (!items) {
        // `Name=` is how the SDKs send an empty list; a bare `Name=x` is taken as one item.
        if (node.value === undefined || node.value === "") return [];
        return [decodeValue(model, memberRef, memberShape, { value: node.value }, naming, path)];
      }
      const out: unknown[] = [];
      for (const [i, item] of items) {
        const v = decodeValue(model, memberRef, memberShape, item, naming, `${path}.${i}`);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    case "map": {
      const keyName = shape.key?.locationName ?? "key";
      const valueRef = shape.value as ShapeRef;
      const valueName = valueRef.locationName ?? "value";
      const valueShape = shapeOfName(model, valueRef.shape);
      const out: Record<string, unknown> = {};
      for (const [i, entry] of numbered(node, "entry") ?? []) {
        const k = (entry.children?.get(keyName) ?? entry.children?.get("key"))?.value;
        if (k === undefined) continue;
        const valueNode = entry.children?.get(valueName) ?? entry.children?.get("value");
        if (!valueNode) continue;
        const v = decodeValue(model, valueRef, valueShape, valueNode, naming, `${path}.${i}`);
        if (v !== undefined) setOwn(out, k, v);
      }
      return out;
    }
    default:
      return node.value === undefined ? undefined : decodeScalar(ref, shape, node.value, naming, path);
  }
}

/**
 * The numbered items under a list or map node: directly (`Name.1`, flattened) or under one
 * wrapper (`Name.member.1`, `Name.entry.1`, `Name.item.1`). Sorted by number.
 */
function numbered(node: ParamNode, wrapper: string): Array<[number, ParamNode]> | undefined {
  const children = node.children;
  if (!children) return undefined;
  let items = numericChildren(children);
  if (items) return items;
  const preferred = children.get(wrapper)?.children;
  if (preferred && (items = numericChildren(preferred))) return items;
  for (const child of children.values()) {
    if (child.children && (items = numericChildren(child.children))) return items;
  }
  return undefined;
}

function numericChildren(children: Map<string, ParamNode>): Array<[number, ParamNode]> | undefined {
  let items: Array<[number, ParamNode]> | undefined;
  for (const [k, child] of children) {
    const c = k.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const n = Number(k);
    if (!Number.isInteger(n)) continue;
    (items ??= []).push([n, child]);
  }
  return items?.sort((a, b) => a[0] - b[0]);
}

function decodeScalar(ref: ShapeRef, shape: Shape, raw: string, naming: QueryNaming, path: string): unknown {
  switch (shape.type) {
    case "string":
      return raw;
    case "boolean": {
      const t = raw.toLowerCase();
      if (t === "true") return true;
      if (t === "false") return false;
      throw naming.invalidValue(path, raw);
    }
    case "integer":
    case "long":
    case "short":
    case "byte": {
      const n = raw.trim() === "" ? Number.NaN : Number(raw);
      if (!Number.isInteger(n)) throw naming.invalidValue(path, raw);
      return n;
    }
    case "float":
    case "double": {
      const n = parseFloatValue(raw.trim());
      if (Number.isNaN(n) && raw.trim() !== "NaN") throw naming.invalidValue(path, raw);
      return n;
    }
    case "timestamp":
      try {
        return parseTimestamp(raw, ref.timestampFormat ?? shape.timestampFormat);
      } catch {
        throw naming.invalidValue(path, raw);
      }
    case "blob":
      return Buffer.from(raw, "base64");
    default:
      return raw;
  }
}

// ---------------------------------------------------------------------------------------------
// The codec
// ---------------------------------------------------------------------------------------------

/** The codecs of the XML family can also phrase the error for a request that names no operation. */
export interface XmlFamilyCodec extends ProtocolCodec {
  /** The error AWS answers when `resolveOperation` found nothing (missing or unknown action). */
  unknownOperationError(model: ServiceModel, req: WireRequest): ServiceError;
}

function queryNamespace(model: ServiceModel): string {
  const md = model.metadata;
  return serviceNamespace(model) ?? `https://${md.endpointPrefix ?? "aws"}.amazonaws.com/doc/${md.apiVersion ?? ""}/`;
}

function responseHeaders(ctx: ResponseContext): Record<string, string> {
  return { "content-type": "text/xml", "x-amzn-requestid": ctx.requestId };
}

function withoutBodyForHead(res: WireResponse, ctx: ResponseContext): WireResponse {
  if (ctx.method === "HEAD") delete res.body;
  return res;
}

export const query: XmlFamilyCodec = {
  name: "query",

  resolveOperation(model, req) {
    const action = formParam(req, "Action");
    return action !== undefined && Object.hasOwn(model.operations, action) ? action : undefined;
  },

  unknownOperationError(model, req) {
    const action = formParam(req, "Action");
    if (!action) return new ServiceError(CommonErrors.MissingAction, "Missing Action");
    const version = formParam(req, "Version") ?? model.metadata.apiVersion ?? "";
    return new ServiceError(CommonErrors.InvalidAction, `Could not find operation ${action} for version ${version}`);
  },

  parseInput(model, op, req) {
    if (!op.input) return {};
    const input = decodeParams(model, op.input.shape, formParams(req), queryNaming);
    fillIdempotencyTokens(model, op.input.shape, input);
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    const name = op.name;
    let body = `<${name}Response${namespaceAttr(queryNamespace(model))}>`;
    if (op.output) {
      const wrapper = op.output.resultWrapper ?? `${name}Result`;
      body += `<${wrapper}>${writeStructureMembers(model, op.output.shape, output)}</${wrapper}>`;
    }
    body += `<ResponseMetadata><RequestId>${escapeXml(ctx.requestId)}</RequestId></ResponseMetadata></${name}Response>`;
    return withoutBodyForHead({ status: 200, headers: responseHeaders(ctx), body }, ctx);
  },

  serializeError(model, _op, error, ctx) {
    return withoutBodyForHead(
      { status: error.status, headers: { ...error.headers, ...responseHeaders(ctx) }, body: queryErrorDocument(model, error, ctx) },
      ctx,
    );
  },
};

function queryErrorDocument(model: ServiceModel, error: WireError, ctx: ResponseContext): string {
  return (
    `<ErrorResponse${namespaceAttr(queryNamespace(model))}><Error>` +
    `<Type>${error.senderFault ? "Sender" : "Receiver"}</Type>` +
    // A service that moved to JSON keeps its query-era codes for query clients (SQS's
    // AWS.SimpleQueueService.NonExistentQueue for QueueDoesNotExist).
    `<Code>${escapeXml(error.queryErrorCode ?? error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message>` +
    writeErrorFields(model, error.shapeName, error.fields) +
    `</Error><RequestId>${escapeXml(ctx.requestId)}</RequestId></ErrorResponse>`
  );
}

