/**
 * Shape-driven XML for the XML family of codecs (query, ec2, rest-xml): parsing request bodies
 * into plain values and writing values as XML elements.
 *
 * Reading uses fast-xml-parser (order-preserving mode, values untrimmed) behind its validator,
 * then walks the tree by shape. Writing is a small string writer: the output is always a
 * handful of well-known constructs, and owning it keeps escaping exact.
 *
 * AWS quirks reproduced:
 * - A member's element is its `locationName` or member name; a flattened list repeats that
 *   element once per item (the list member's own name is not used); a wrapped list names its
 *   items by the list member's `locationName` or `member`; maps use `entry` + `key`/`value`
 *   (or the key/value `locationName`s), flattened maps repeat the member element per entry.
 * - `xmlNamespace` is either a URI string or `{prefix, uri}`; a prefixed namespace is declared
 *   (`xmlns:p="..."`) on the element without prefixing the element itself, as AWS and the SDK
 *   protocol tests do.
 * - `\r` and `\n` in text are written as character references so that XML line-end
 *   normalisation cannot alter them on the way to the client.
 * - Parsing is liberal: element prefixes are ignored, unknown elements are skipped, the root
 *   element's name is not checked, and all items of a wrapped list/map are read whatever their
 *   element names.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { ServiceModel, Shape, ShapeRef, TimestampFormat } from "./model.js";
import { formatFloatValue, formatTimestamp, parseFloatValue, parseTimestamp, setOwn, toBuffer } from "./values.js";

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

const TEXT_SPECIAL = /[&<>\r\n\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const TEXT_SPECIAL_G = /[&<>\r\n\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const ATTR_SPECIAL = /[&<>"\r\n\t\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const ATTR_SPECIAL_G = /[&<>"\r\n\t\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

function charRef(c: string): string {
  switch (c) {
    case "&":
      return "&amp;";
    case "<":
      return "&lt;";
    case ">":
      return "&gt;";
    case '"':
      return "&quot;";
    case "\r":
      return "&#xD;";
    case "\n":
      return "&#10;";
    case "\t":
      return "&#9;";
    default:
      // Control characters cannot appear literally in XML 1.0; a reference is the best we can do.
      return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
  }
}

/** Escape element text. */
export function escapeXml(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL_G, charRef) : text;
}

/** Escape an attribute value written between double quotes. */
export function escapeXmlAttr(text: string): string {
  return ATTR_SPECIAL.test(text) ? text.replace(ATTR_SPECIAL_G, charRef) : text;
}

export const XML_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** A parsed element: enough of XML for AWS request bodies. */
export interface XmlElement {
  /** The qualified name as written (`p:Name`). */
  name: string;
  /** The name without its prefix. */
  local: string;
  attrs?: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (text and CDATA children, concatenated, untrimmed). */
  text: string;
}

const MALFORMED_XML_MESSAGE =
  "The XML you provided was not well-formed or did not validate against our published schema";

function malformed(): ServiceError {
  return new ServiceError(CommonErrors.MalformedXML, MALFORMED_XML_MESSAGE);
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Also decodes numeric character references (`&#xD;`), which the default decoder leaves alone.
  htmlEntities: true,
});

/** One node of fast-xml-parser's order-preserving output. */
type OrderedNode = Record<string, unknown>;

function toElement(name: string, node: OrderedNode): XmlElement {
  const local = name.includes(":") ? name.slice(name.indexOf(":") + 1) : name;
  const el: XmlElement = { name, local, children: [], text: "" };
  const attrs = node[":@"];
  if (attrs) el.attrs = attrs as Record<string, string>;
  const kids = node[name] as OrderedNode[];
  for (const kid of kids) {
    const text = kid["#text"];
    if (text !== undefined) {
      el.text += String(text);
      continue;
    }
    const kidName = elementName(kid);
    if (kidName) el.children.push(toElement(kidName, kid));
  }
  return el;
}

function elementName(node: OrderedNode): string | undefined {
  for (const key in node) if (key !== ":@" && key !== "#text") return key;
  return undefined;
}

/**
 * Parse an XML document and return its root element. Throws `MalformedXML` for anything that
 * is not one well-formed element (an empty document included).
 */
export function parseXml(body: Buffer | string): XmlElement {
  let text = typeof body === "string" ? body : body.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (XMLValidator.validate(text) !== true) throw malformed();
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch {
    throw malformed();
  }
  let root: XmlElement | undefined;
  for (const node of nodes) {
    const name = elementName(node);
    if (!name) continue;
    if (root) throw malformed();
    root = toElement(name, node);
  }
  if (!root) throw malformed();
  return root;
}

// ---------------------------------------------------------------------------------------------
// Shape helpers shared with the codecs
// ---------------------------------------------------------------------------------------------

type Namespace = ShapeRef["xmlNamespace"] | string | undefined;

/** ` xmlns="uri"` or ` xmlns:p="uri"` for a model `xmlNamespace` (string or object), or "". */
export function namespaceAttr(ns: Namespace): string {
  if (!ns) return "";
  if (typeof ns === "string") return ` xmlns="${escapeXmlAttr(ns)}"`;
  if (!ns.uri) return "";
  return ns.prefix ? ` xmlns:${ns.prefix}="${escapeXmlAttr(ns.uri)}"` : ` xmlns="${escapeXmlAttr(ns.uri)}"`;
}

export function namespaceUri(ns: Namespace): string | undefined {
  if (!ns) return undefined;
  return typeof ns === "string" ? ns : ns.uri;
}

function isFlattened(ref: ShapeRef, shape: Shape): boolean {
  return ref.flattened === true || shape.flattened === true;
}

/**
 * Whether a member can travel in an XML body. Header and status bindings never do; `uri` and
 * `querystring` bindings mean nothing in a response, where members bound to them are body
 * members (the rest-xml codec keeps request bindings from being overridden by the body).
 */
export function inBody(ref: ShapeRef): boolean {
  const loc = ref.location;
  return loc === undefined || loc === "uri" || loc === "querystring";
}

function timestampFormatOf(ref: ShapeRef, shape: Shape, fallback: TimestampFormat): TimestampFormat {
  return ref.timestampFormat ?? shape.timestampFormat ?? fallback;
}

function shapeNamed(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape named ${name}`);
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Reading values from elements
// ---------------------------------------------------------------------------------------------

interface ReadMember {
  member: string;
  ref: ShapeRef;
  shape: Shape;
  /** `list`/`map`: this element is one item/entry of a flattened list/map. */
  flat?: "list" | "map";
}

interface StructReadPlan {
  elements: Map<string, ReadMember>;
  attributes: Array<ReadMember & { name: string; local: string }>;
}

const readPlans = new WeakMap<ServiceModel, Map<string, StructReadPlan>>();

function readPlan(model: ServiceModel, shapeName: string): StructReadPlan {
  let perModel = readPlans.get(model);
  if (!perModel) readPlans.set(model, (perModel = new Map()));
  let plan = perModel.get(shapeName);
  if (plan) return plan;
  plan = { elements: new Map(), attributes: [] };
  const shape = shapeNamed(model, shapeName);
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    if (!inBody(ref)) continue;
    const target = shapeNamed(model, ref.shape);
    const name = ref.locationName ?? member;
    if (ref.xmlAttribute) {
      const local = name.includes(":") ? name.slice(name.indexOf(":") + 1) : name;
      plan.attributes.push({ member, ref, shape: target, name, local });
      continue;
    }
    const flat = isFlattened(ref, target) && (target.type === "list" || target.type === "map") ? target.type : undefined;
    const entry: ReadMember = { member, ref, shape: target, flat };
    const local = name.includes(":") ? name.slice(name.indexOf(":") + 1) : name;
    if (!plan.elements.has(local)) plan.elements.set(local, entry);
    // Flattened list items may carry the list member's locationName instead (see writeElement).
    const itemName = flat === "list" ? target.member?.locationName : undefined;
    if (itemName && !plan.elements.has(itemName)) plan.elements.set(itemName, entry);
  }
  perModel.set(shapeName, plan);
  return plan;
}

/** Read a structure's members from an element (its attributes and child elements). */
export function readStructure(model: ServiceModel, shapeName: string, el: XmlElement): Record<string, unknown> {
  const plan = readPlan(model, shapeName);
  const out: Record<string, unknown> = {};
  if (el.attrs && plan.attributes.length > 0) {
    for (const a of plan.attributes) {
      const raw = el.attrs[a.name] ?? el.attrs[a.local];
      if (raw === undefined) continue;
      const value = readScalar(a.ref, a.shape, raw);
      if (value !== undefined) out[a.member] = value;
    }
  }
  for (const child of el.children) {
    const m = plan.elements.get(child.local);
    if (!m) continue;
    if (m.flat === "list") {
      const item = readValue(model, m.shape.member as ShapeRef, child);
      if (item === undefined) continue;
      let list = out[m.member] as unknown[] | undefined;
      if (!list) out[m.member] = list = [];
      list.push(item);
    } else if (m.flat === "map") {
      let map = out[m.member] as Record<string, unknown> | undefined;
      if (!map) out[m.member] = map = {};
      readMapEntry(model, m.shape, child, map);
    } else {
      const value = readValue(model, m.ref, child);
      if (value !== undefined) out[m.member] = value;
    }
  }
  return out;
}

/** Read any value of the shape `ref` points to from its element. Undefined means "absent". */
export function readValue(model: ServiceModel, ref: ShapeRef, el: XmlElement): unknown {
  const shape = shapeNamed(model, ref.shape);
  switch (shape.type) {
    case "structure":
    case "union":
      return readStructure(model, ref.shape, el);
    case "list": {
      const memberRef = shape.member as ShapeRef;
      const out: unknown[] = [];
      for (const child of el.children) {
        const item = readValue(model, memberRef, child);
        if (item !== undefined) out.push(item);
      }
      return out;
    }
    case "map": {
      const out: Record<string, unknown> = {};
      for (const entry of el.children) readMapEntry(model, shape, entry, out);
      return out;
    }
    default:
      return readScalar(ref, shape, el.text);
  }
}

function readMapEntry(model: ServiceModel, shape: Shape, entry: XmlElement, into: Record<string, unknown>): void {
  const keyName = shape.key?.locationName ?? "key";
  const valueName = shape.value?.locationName ?? "value";
  let key: string | undefined;
  let valueEl: XmlElement | undefined;
  for (const part of entry.children) {
    if (part.local === keyName) key = part.text;
    else if (part.local === valueName) valueEl = part;
  }
  if (key === undefined) return;
  if (!valueEl) {
    // An entry without a value element: the value is empty (S3 writes `<Value/>` or nothing).
    const valueShape = shapeNamed(model, (shape.value as ShapeRef).shape);
    if (valueShape.type === "string") setOwn(into, key, "");
    return;
  }
  const value = readValue(model, shape.value as ShapeRef, valueEl);
  if (value !== undefined) setOwn(into, key, value);
}

/** Convert element text or an attribute value to a scalar of the shape's type. */
export function readScalar(ref: ShapeRef, shape: Shape, text: string): unknown {
  switch (shape.type) {
    case "string":
    case "document":
      return text;
    case "blob":
      return Buffer.from(text.trim(), "base64");
    case "boolean": {
      const t = text.trim();
      if (t === "") return undefined;
      if (t === "true") return true;
      if (t === "false") return false;
      throw malformed();
    }
    case "integer":
    case "long":
    case "short":
    case "byte": {
      const t = text.trim();
      if (t === "") return undefined;
      const n = Number(t);
      if (!Number.isInteger(n)) throw malformed();
      return n;
    }
    case "float":
    case "double": {
      const t = text.trim();
      if (t === "") return undefined;
      const n = parseFloatValue(t);
      if (Number.isNaN(n) && t !== "NaN") throw malformed();
      return n;
    }
    case "bigdecimal":
    case "biginteger": {
      const t = text.trim();
      return t === "" ? undefined : t;
    }
    case "timestamp": {
      const t = text.trim();
      if (t === "") return undefined;
      try {
        return parseTimestamp(t, timestampFormatOf(ref, shape, "iso8601"));
      } catch {
        throw malformed();
      }
    }
    default:
      return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing values as elements
// ---------------------------------------------------------------------------------------------

interface WriteMember {
  member: string;
  /** Element (or attribute) name. */
  name: string;
  ref: ShapeRef;
  shape: Shape;
  /** Namespace declaration for the member's element, precomputed. */
  ns: string;
}

interface StructWritePlan {
  attributes: WriteMember[];
  elements: WriteMember[];
}

const writePlans = new WeakMap<ServiceModel, Map<string, StructWritePlan>>();

function writePlan(model: ServiceModel, shapeName: string): StructWritePlan {
  let perModel = writePlans.get(model);
  if (!perModel) writePlans.set(model, (perModel = new Map()));
  let plan = perModel.get(shapeName);
  if (plan) return plan;
  plan = { attributes: [], elements: [] };
  const shape = shapeNamed(model, shapeName);
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    if (!inBody(ref)) continue;
    const target = shapeNamed(model, ref.shape);
    const ns = namespaceAttr(ref.xmlNamespace ?? (target.type === "structure" ? target.xmlNamespace : undefined));
    const entry: WriteMember = { member, name: ref.xmlName ?? ref.locationName ?? member, ref, shape: target, ns };
    (ref.xmlAttribute ? plan.attributes : plan.elements).push(entry);
  }
  perModel.set(shapeName, plan);
  return plan;
}

/**
 * The attributes (` a="v"`, with a leading space each) that a structure value puts on its own
 * element: its `xmlAttribute` members.
 */
export function structureAttributes(model: ServiceModel, shapeName: string, value: Record<string, unknown>): string {
  const plan = writePlan(model, shapeName);
  let out = "";
  for (const a of plan.attributes) {
    const v = value[a.member];
    if (v === undefined || v === null) continue;
    out += ` ${a.name}="${escapeXmlAttr(scalarText(a.ref, a.shape, v))}"`;
  }
  return out;
}

/**
 * The child elements of a structure value, in model order. `skip` names members to leave out
 * (e.g. an error's `Message`, written separately).
 */
export function writeStructureMembers(
  model: ServiceModel,
  shapeName: string,
  value: Record<string, unknown>,
  skip?: ReadonlySet<string>,
): string {
  const plan = writePlan(model, shapeName);
  let out = "";
  for (const m of plan.elements) {
    const v = value[m.member];
    if (v === undefined || v === null) continue;
    if (skip?.has(m.member)) continue;
    out += writeElement(model, m.ref, m.shape, m.name, m.ns, v);
  }
  return out;
}

/** Write one value as the element `name` (or, for a flattened list/map, as repeated elements). */
export function writeElement(model: ServiceModel, ref: ShapeRef, shape: Shape, name: string, ns: string, value: unknown): string {
  switch (shape.type) {
    case "structure":
    case "union": {
      const obj = value as Record<string, unknown>;
      const inner = writeStructureMembers(model, ref.shape, obj);
      return `<${name}${ns}${structureAttributes(model, ref.shape, obj)}>${inner}</${name}>`;
    }
    case "list": {
      const memberRef = shape.member as ShapeRef;
      const memberShape = shapeNamed(model, memberRef.shape);
      const items = value as unknown[];
      if (isFlattened(ref, shape)) {
        // Items repeat the member's element. Without a locationName on the member, AWS models
        // put the item name on the list member (SimpleDB `Item`, SQS `Message`), and that is
        // what services send and clients read (the Smithy vectors' `flattenedList` disagrees,
        // and botocore fails it too). Only the list member's namespace applies.
        const itemName = ref.locationName ?? memberRef.locationName ?? name;
        const itemNs = namespaceAttr(memberRef.xmlNamespace ?? ref.xmlNamespace);
        let out = "";
        for (const item of items) if (item !== undefined && item !== null) out += writeElement(model, memberRef, memberShape, itemName, itemNs, item);
        return out;
      }
      const itemName = memberRef.locationName ?? "member";
      const itemNs = namespaceAttr(memberRef.xmlNamespace);
      let inner = "";
      for (const item of items) if (item !== undefined && item !== null) inner += writeElement(model, memberRef, memberShape, itemName, itemNs, item);
      return `<${name}${ns}>${inner}</${name}>`;
    }
    case "map": {
      const keyRef = shape.key as ShapeRef;
      const valueRef = shape.value as ShapeRef;
      const valueShape = shapeNamed(model, valueRef.shape);
      const keyName = keyRef.locationName ?? "key";
      const valueName = valueRef.locationName ?? "value";
      const keyNs = namespaceAttr(keyRef.xmlNamespace);
      const valueNs = namespaceAttr(valueRef.xmlNamespace);
      const flat = isFlattened(ref, shape);
      let inner = "";
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        const entry = `<${keyName}${keyNs}>${escapeXml(k)}</${keyName}>${writeElement(model, valueRef, valueShape, valueName, valueNs, v)}`;
        inner += flat ? `<${name}${ns}>${entry}</${name}>` : `<entry>${entry}</entry>`;
      }
      return flat ? inner : `<${name}${ns}>${inner}</${name}>`;
    }
    default:
      return `<${name}${ns}>${escapeXml(scalarText(ref, shape, value))}</${name}>`;
  }
}

/** The text of a scalar value as the XML protocols write it. */
export function scalarText(ref: ShapeRef, shape: Shape, value: unknown): string {
  switch (shape.type) {
    case "boolean":
      return value === true || value === "true" ? "true" : "false";
    case "float":
    case "double":
      return typeof value === "number" ? String(formatFloatValue(value)) : String(value);
    case "timestamp":
      return String(formatTimestamp(value, timestampFormatOf(ref, shape, "iso8601")));
    case "blob":
      return toBuffer(value).toString("base64");
    default:
      return typeof value === "string" ? value : String(value);
  }
}

/**
 * Write a value that has no shape (an error's extra fields when the error has no model shape):
 * objects become nested elements, arrays `member` items, dates ISO 8601, bytes base64.
 */
export function writeUntyped(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (value instanceof Date) return `<${name}>${escapeXml(String(formatTimestamp(value, "iso8601")))}</${name}>`;
  if (value instanceof Uint8Array) return `<${name}>${toBuffer(value).toString("base64")}</${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => writeUntyped("member", v)).join("")}</${name}>`;
  if (typeof value === "object") {
    let inner = "";
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) inner += writeUntyped(k, v);
    return `<${name}>${inner}</${name}>`;
  }
  if (typeof value === "number") return `<${name}>${String(formatFloatValue(value))}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Written as the error's own `<Message>`, never again among its fields. */
const MESSAGE_MEMBERS: ReadonlySet<string> = new Set(["Message", "message"]);

/**
 * An error's extra fields (everything but the message), typed by the error's shape when the
 * model has it.
 */
export function writeErrorFields(model: ServiceModel, shapeName: string | undefined, fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  if (shapeName && model.shapes[shapeName]?.type === "structure") {
    return writeStructureMembers(model, shapeName, fields, MESSAGE_MEMBERS);
  }
  let out = "";
  for (const [k, v] of Object.entries(fields)) if (!MESSAGE_MEMBERS.has(k)) out += writeUntyped(k, v);
  return out;
}


// ---------------------------------------------------------------------------------------------
// Service-level namespace
// ---------------------------------------------------------------------------------------------

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
const serviceNamespaces = new WeakMap<ServiceModel, string | null>();

/**
 * The namespace a service's documents use: the model's `metadata.xmlNamespace`, else the one its
 * operations put on their input (rest-xml models record it there), else S3's for S3.
 */
export function serviceNamespace(model: ServiceModel): string | undefined {
  let ns = serviceNamespaces.get(model);
  if (ns === undefined) {
    ns = model.metadata.xmlNamespace ?? null;
    if (!ns) {
      for (const op of Object.values(model.operations)) {
        const uri = namespaceUri(op.input?.xmlNamespace);
        if (uri) {
          ns = uri;
          break;
        }
      }
    }
    if (!ns && isS3(model)) ns = S3_NAMESPACE;
    serviceNamespaces.set(model, ns);
  }
  return ns ?? undefined;
}

export function isS3(model: ServiceModel): boolean {
  return model.metadata.serviceId === "S3" || model.metadata.endpointPrefix === "s3";
}
