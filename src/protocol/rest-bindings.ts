/**
 * HTTP bindings shared by the rest-json and rest-xml codecs: the router that maps
 * method + path + query onto an operation's `http.requestUri`, and the (de)serialization of
 * members bound to URI labels, the query string, headers, prefix-header maps and the status
 * code. The body is left to each codec.
 */
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { OperationModel, ServiceModel, Shape, ShapeRef, TimestampFormat } from "./model.js";
import { shapeOf } from "./model.js";
import type { WireRequest } from "./types.js";
import {
  fillIdempotencyTokens,
  formatFloatValue,
  formatTimestamp,
  parseFloatValue,
  parseTimestamp,
  setOwn,
  toBuffer,
} from "./values.js";

// ---------------------------------------------------------------------------------------------
// Route compilation

type Segment =
  | { kind: "literal"; text: string }
  | { kind: "label"; name: string }
  | { kind: "greedy"; name: string }
  /** A segment mixing literal text and labels, e.g. `{Name}.json`. */
  | { kind: "pattern"; regex: RegExp; names: string[] };

interface Route {
  op: string;
  method: string;
  segments: Segment[];
  /** Literal query parts of the requestUri: key plus required value (undefined: presence only). */
  query: Array<[string, string | undefined]>;
  /** Sort key, most specific first: literal segments, required query keys, non-greedy. */
  rank: [number, number, number];
  /** Required input members bound to a header (lower-cased name) or a query parameter. */
  requiredBound: Array<{ location: "header" | "querystring"; name: string }>;
  /** Deprecated operations lose ties to their replacements (S3's GetBucketLifecycle). */
  deprecated: boolean;
}

interface Router {
  /** method -> first literal segment -> routes; the "" key holds routes starting with a label. */
  byMethod: Map<string, Map<string, Route[]>>;
  byOp: Map<string, Route>;
}

const routers = new WeakMap<ServiceModel, Router>();
const looseRoutes = new WeakMap<OperationModel, Route>();

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function splitPath(path: string): string[] {
  const parts = path.split("/");
  if (parts[0] === "") parts.shift();
  // A trailing slash does not make a different resource: "/a/" and "/a" route alike.
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

function hasTrailingSlash(path: string): boolean {
  return path.length > 1 && path.endsWith("/");
}

function compileSegment(raw: string): Segment {
  const whole = /^\{([^{}]+?)(\+?)\}$/.exec(raw);
  if (whole) return whole[2] ? { kind: "greedy", name: whole[1]! } : { kind: "label", name: whole[1]! };
  if (!raw.includes("{")) return { kind: "literal", text: raw };
  const names: string[] = [];
  let source = "";
  let rest = raw;
  for (let m = /\{([^{}]+)\}/.exec(rest); m; m = /\{([^{}]+)\}/.exec(rest)) {
    source += escapeRegex(rest.slice(0, m.index)) + "(.+?)";
    names.push(m[1]!);
    rest = rest.slice(m.index + m[0].length);
  }
  source += escapeRegex(rest);
  return { kind: "pattern", regex: new RegExp(`^${source}$`), names };
}

function compileRoute(op: OperationModel, model?: ServiceModel): Route {
  const method = (op.http?.method ?? "POST").toUpperCase();
  const uri = op.http?.requestUri ?? "/";
  const q = uri.indexOf("?");
  const pathPart = q >= 0 ? uri.slice(0, q) : uri;
  const queryPart = q >= 0 ? uri.slice(q + 1) : "";
  const segments = splitPath(pathPart).map(compileSegment);
  const query: Array<[string, string | undefined]> = [];
  for (const piece of queryPart.split("&")) {
    if (!piece) continue;
    const eq = piece.indexOf("=");
    if (eq < 0) query.push([decodeComponent(piece), undefined]);
    else query.push([decodeComponent(piece.slice(0, eq)), decodeComponent(piece.slice(eq + 1))]);
  }
  let literals = 0;
  for (const s of segments) if (s.kind === "literal") literals += 1;
  const greedy = segments.some((s) => s.kind === "greedy");
  const requiredBound: Route["requiredBound"] = [];
  const input = op.input ? model?.shapes[op.input.shape] : undefined;
  for (const name of input?.required ?? []) {
    const ref = input?.members?.[name];
    if (ref?.location === "header") requiredBound.push({ location: "header", name: (ref.locationName ?? name).toLowerCase() });
    if (ref?.location === "querystring" && model?.shapes[ref.shape]?.type !== "map") {
      requiredBound.push({ location: "querystring", name: ref.locationName ?? name });
    }
  }
  return {
    op: op.name,
    method,
    segments,
    query,
    rank: [literals, query.length, greedy ? 0 : 1],
    requiredBound,
    deprecated: op.deprecated === true,
  };
}

function compareRank(a: Route, b: Route): number {
  for (let i = 0; i < 3; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i]! - a.rank[i]!;
  return 0;
}

function routerFor(model: ServiceModel): Router {
  let router = routers.get(model);
  if (router) return router;
  router = { byMethod: new Map(), byOp: new Map() };
  for (const [name, op] of Object.entries(model.operations)) {
    const route = compileRoute({ ...op, name: op.name ?? name }, model);
    route.op = name;
    router.byOp.set(name, route);
    let byFirst = router.byMethod.get(route.method);
    if (!byFirst) router.byMethod.set(route.method, (byFirst = new Map()));
    const first = route.segments[0];
    const key = first?.kind === "literal" ? first.text : first ? "" : "/";
    let list = byFirst.get(key);
    if (!list) byFirst.set(key, (list = []));
    list.push(route);
  }
  for (const byFirst of router.byMethod.values()) for (const list of byFirst.values()) list.sort(compareRank);
  routers.set(model, router);
  return router;
}

function routeFor(model: ServiceModel, op: OperationModel): Route {
  const known = routerFor(model).byOp.get(op.name);
  if (known && model.operations[op.name] === op) return known;
  let route = looseRoutes.get(op);
  if (!route) looseRoutes.set(op, (route = compileRoute(op, model)));
  return route;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Match a request path against a route; returns the decoded label values, or undefined.
 * `trailingSlash` says the raw path ended in "/" (dropped from `parts`): a greedy label at the
 * end keeps it, since S3 keys such as "folder/" end in a slash.
 */
function matchPath(route: Route, parts: string[], trailingSlash: boolean): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  const segs = route.segments;
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s]!;
    if (seg.kind === "greedy") {
      // The greedy label takes everything except what the segments after it need.
      const after = segs.length - s - 1;
      const end = parts.length - after;
      if (end <= i) return undefined;
      let value = parts.slice(i, end).join("/");
      if (value === "") return undefined;
      if (after === 0 && trailingSlash) value += "/";
      labels[seg.name] = decodeComponent(value);
      i = end;
      continue;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    i += 1;
    if (seg.kind === "literal") {
      if (part !== seg.text && decodeComponent(part) !== seg.text) return undefined;
    } else if (seg.kind === "label") {
      if (part === "") return undefined;
      labels[seg.name] = decodeComponent(part);
    } else {
      const m = seg.regex.exec(decodeComponent(part));
      if (!m) return undefined;
      seg.names.forEach((n, k) => (labels[n] = m[k + 1]!));
    }
  }
  return i === parts.length ? labels : undefined;
}

function matchQuery(route: Route, query: Array<[string, string]>): boolean {
  for (const [key, value] of route.query) {
    if (!query.some(([k, v]) => k === key && (value === undefined || v === value))) return false;
  }
  return true;
}

/**
 * How well a route fits a request among routes that share a method and requestUri. S3's
 * PutObject and CopyObject (UploadPart and UploadPartCopy) differ only in required headers: all
 * present beats some missing, then more present wins; then a non-deprecated operation wins.
 */
function tieScore(route: Route, req: WireRequest): [number, number, number] {
  let present = 0;
  for (const r of route.requiredBound) {
    const has = r.location === "header" ? req.headers[r.name] !== undefined : req.query.some(([k]) => k === r.name);
    if (has) present += 1;
  }
  return [present === route.requiredBound.length ? 1 : 0, present, route.deprecated ? 0 : 1];
}

/**
 * Name the operation whose `http.method` + `http.requestUri` match the request. When several
 * match, the most specific wins: most literal segments, then most required query keys, then a
 * route without a greedy label; among equals, the one whose required header and query members
 * the request carries, then a non-deprecated one (see tieScore), then model order.
 */
export function resolveRestOperation(model: ServiceModel, req: WireRequest): string | undefined {
  const byFirst = routerFor(model).byMethod.get(req.method.toUpperCase());
  if (!byFirst) return undefined;
  const parts = splitPath(req.path);
  const candidates: Array<Route[] | undefined> = [
    parts.length === 0 ? byFirst.get("/") : byFirst.get(parts[0]!) ?? byFirst.get(decodeComponent(parts[0]!)),
    byFirst.get(""),
  ];
  let best: Route[] = [];
  for (const list of candidates) {
    if (!list) continue;
    // Each list is sorted most specific first: stop once routes get less specific than the best.
    for (const route of list) {
      const order = best.length > 0 ? compareRank(route, best[0]!) : -1;
      if (order > 0) break;
      if (!matchQuery(route, req.query) || !matchPath(route, parts, hasTrailingSlash(req.path))) continue;
      if (order < 0) best = [route];
      else best.push(route);
    }
  }
  if (best.length <= 1) return best[0]?.op;
  let winner = best[0]!;
  let winnerScore = tieScore(winner, req);
  for (const route of best.slice(1)) {
    const score = tieScore(route, req);
    const i = score.findIndex((v, k) => v !== winnerScore[k]);
    if (i >= 0 && score[i]! > winnerScore[i]!) {
      winner = route;
      winnerScore = score;
    }
  }
  return winner.op;
}

// ---------------------------------------------------------------------------------------------
// Scalar conversions for labels, query values and headers

type Binding = "uri" | "querystring" | "header";

function timestampFormatOf(ref: ShapeRef, shape: Shape, fallback: TimestampFormat): TimestampFormat {
  return ref.timestampFormat ?? shape.timestampFormat ?? fallback;
}

function badValue(where: string, raw: string, type: string): ServiceError {
  return new ServiceError(CommonErrors.SerializationException, `Invalid value for ${where}: '${raw}' is not a valid ${type}`);
}

/** Convert one textual wire value (label, query value, header item) to the handler's value. */
function parseScalar(ref: ShapeRef, shape: Shape, raw: string, binding: Binding, where: string): unknown {
  switch (shape.type) {
    case "string":
      if (ref.jsonvalue && binding === "header") {
        try {
          return JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
        } catch {
          throw badValue(where, raw, "base64-encoded JSON value");
        }
      }
      return raw;
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw badValue(where, raw, "boolean");
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger": {
      const n = Number(raw.trim());
      if (raw.trim() === "" || !Number.isInteger(n)) throw badValue(where, raw, "integer");
      return n;
    }
    case "float":
    case "double":
    case "bigdecimal": {
      const n = parseFloatValue(raw.trim());
      if (raw.trim() === "" || (Number.isNaN(n) && raw.trim() !== "NaN")) throw badValue(where, raw, "number");
      return n;
    }
    case "timestamp": {
      const fallback: TimestampFormat = binding === "header" ? "rfc822" : "iso8601";
      try {
        return parseTimestamp(raw, timestampFormatOf(ref, shape, fallback));
      } catch {
        throw badValue(where, raw, "timestamp");
      }
    }
    case "blob":
      return Buffer.from(raw, "base64");
    default:
      return raw;
  }
}

/** Render one scalar for a label, query value or header. */
function formatScalar(ref: ShapeRef, shape: Shape, value: unknown, binding: Binding): string {
  switch (shape.type) {
    case "timestamp": {
      const fallback: TimestampFormat = binding === "header" ? "rfc822" : "iso8601";
      return String(formatTimestamp(value, timestampFormatOf(ref, shape, fallback)));
    }
    case "blob":
      return toBuffer(value).toString("base64");
    case "float":
    case "double":
      return String(typeof value === "number" ? formatFloatValue(value) : value);
    case "string":
      if (ref.jsonvalue && binding === "header") return Buffer.from(JSON.stringify(value), "utf8").toString("base64");
      return String(value);
    default:
      return String(value);
  }
}

/**
 * Split a list header (RFC 7230 `#rule`): items are separated by commas, and an item holding a
 * comma or quote is a quoted-string. HTTP dates hold a comma of their own, so a list of them is
 * split on the date pattern instead.
 */
export function splitHeaderList(raw: string, httpDates = false): string[] {
  if (httpDates) {
    const dates = raw.match(/[A-Za-z]{3},\s*\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT/g);
    if (dates) return dates;
  }
  const items: string[] = [];
  let i = 0;
  while (i < raw.length) {
    while (i < raw.length && (raw[i] === " " || raw[i] === "\t")) i++;
    if (raw[i] === '"') {
      let item = "";
      i++;
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === "\\" && i + 1 < raw.length) i++;
        item += raw[i];
        i++;
      }
      i++; // closing quote
      while (i < raw.length && raw[i] !== ",") i++;
      items.push(item);
    } else {
      const comma = raw.indexOf(",", i);
      const end = comma < 0 ? raw.length : comma;
      items.push(raw.slice(i, end).trim());
      i = end;
    }
    i++; // the comma
  }
  if (raw.trim().endsWith(",")) items.push("");
  return items;
}

function quoteHeaderItem(item: string): string {
  return /[",]/.test(item) ? `"${item.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : item;
}

// ---------------------------------------------------------------------------------------------
// Request side

/**
 * Read the input members bound to the URI, query string and headers. Returns them as `input`,
 * plus the name of the payload member (when the input shape has one) and the members that are
 * bound nowhere, which therefore live in the body (with a payload member, that member alone).
 * Idempotency tokens bound outside the body are filled in when absent.
 */
interface BoundMember {
  name: string;
  ref: ShapeRef;
  target: Shape;
  wireName: string;
  /** The wire name in lower case (request headers arrive lower-cased). */
  headerName: string;
  /** Position in model order. */
  index: number;
}

/**
 * A shape's members with their target shapes, in model order, worked out once per shape: S3's
 * object operations have thirty to fifty members, and every request and response walks them.
 */
const boundMemberCache = new WeakMap<Shape, BoundMember[]>();
function boundMembers(model: ServiceModel, shape: Shape): BoundMember[] {
  let list = boundMemberCache.get(shape);
  if (!list) {
    list = Object.entries(shape.members ?? {}).map(([name, ref], index) => {
      const wireName = ref.locationName ?? name;
      return { name, ref, target: shapeOf(model, ref), wireName, headerName: wireName.toLowerCase(), index };
    });
    boundMemberCache.set(shape, list);
  }
  return list;
}

/** The same members by name (serializing walks a value's few keys, not all of the shape's members). */
const memberByNameCache = new WeakMap<Shape, Map<string, BoundMember>>();
function membersByName(model: ServiceModel, shape: Shape): Map<string, BoundMember> {
  let byName = memberByNameCache.get(shape);
  if (!byName) {
    byName = new Map(boundMembers(model, shape).map((m) => [m.name, m]));
    memberByNameCache.set(shape, byName);
  }
  return byName;
}

export function parseRestBindings(
  model: ServiceModel,
  op: OperationModel,
  req: WireRequest,
): { input: Record<string, unknown>; payloadMember?: string; bodyMembers: string[] } {
  const input: Record<string, unknown> = {};
  if (!op.input) return { input, bodyMembers: [] };
  const shape = shapeOf(model, op.input);
  const route = routeFor(model, op);
  const labels = matchPath(route, splitPath(req.path), hasTrailingSlash(req.path)) ?? {};
  const literalKeys = new Set(route.query.map(([k]) => k));
  const bodyMembers: string[] = [];
  let tokensOutsideBody = false;

  for (const { name, ref, target, wireName, headerName } of boundMembers(model, shape)) {
    switch (ref.location) {
      case "uri": {
        const raw = labels[wireName];
        if (raw !== undefined) setOwn(input, name, parseScalar(ref, target, raw, "uri", `path label ${wireName}`));
        break;
      }
      case "querystring": {
        const value = readQueryMember(model, ref, target, wireName, req.query, literalKeys);
        if (value !== undefined) setOwn(input, name, value);
        if (ref.idempotencyToken) tokensOutsideBody = true;
        break;
      }
      case "header": {
        const raw = req.headers[headerName];
        if (raw === undefined) break;
        if (target.type === "list") {
          const memberRef = target.member!;
          const memberShape = shapeOf(model, memberRef);
          const httpDates =
            memberShape.type === "timestamp" && timestampFormatOf(memberRef, memberShape, "rfc822") === "rfc822";
          const items = raw.trim() === "" ? [] : splitHeaderList(raw, httpDates);
          setOwn(
            input,
            name,
            items.map((item) => parseScalar(memberRef, memberShape, item, "header", `header ${wireName}`)),
          );
        } else {
          setOwn(input, name, parseScalar(ref, target, raw, "header", `header ${wireName}`));
        }
        if (ref.idempotencyToken) tokensOutsideBody = true;
        break;
      }
      case "headers": {
        const prefix = (ref.locationName ?? "").toLowerCase();
        const map: Record<string, unknown> = {};
        let any = false;
        const valueRef = target.value ?? { shape: "String" };
        const valueShape = model.shapes[valueRef.shape] ?? { type: "string" };
        for (const [header, raw] of Object.entries(req.headers)) {
          if (!header.startsWith(prefix)) continue;
          setOwn(map, header.slice(prefix.length), parseScalar(valueRef, valueShape, raw, "header", `header ${header}`));
          any = true;
        }
        if (any) setOwn(input, name, map);
        break;
      }
      case "statusCode":
        break;
      default:
        bodyMembers.push(name);
    }
  }
  if (tokensOutsideBody) fillIdempotencyTokens(model, op.input.shape, input);
  const payloadMember = shape.payload;
  return payloadMember ? { input, payloadMember, bodyMembers: [payloadMember] } : { input, bodyMembers };
}

function readQueryMember(
  model: ServiceModel,
  ref: ShapeRef,
  target: Shape,
  wireName: string,
  query: Array<[string, string]>,
  literalKeys: Set<string>,
): unknown {
  const where = `query parameter ${wireName}`;
  if (target.type === "map") {
    // A map bound to the query string collects every parameter, including those also bound to
    // named members (servers see them all), but not the literal parts of the requestUri.
    const valueRef = target.value!;
    const valueShape = shapeOf(model, valueRef);
    const map: Record<string, unknown> = {};
    let any = false;
    for (const [k, v] of query) {
      if (literalKeys.has(k)) continue;
      any = true;
      if (valueShape.type === "list") {
        const memberRef = valueShape.member!;
        const list = (Object.hasOwn(map, k) ? map[k] : []) as unknown[];
        list.push(parseScalar(memberRef, shapeOf(model, memberRef), v, "querystring", where));
        setOwn(map, k, list);
      } else if (!Object.hasOwn(map, k)) {
        setOwn(map, k, parseScalar(valueRef, valueShape, v, "querystring", where));
      }
    }
    return any ? map : undefined;
  }
  const values = query.filter(([k]) => k === wireName).map(([, v]) => v);
  if (values.length === 0) return undefined;
  if (target.type === "list") {
    const memberRef = target.member!;
    const memberShape = shapeOf(model, memberRef);
    return values.map((v) => parseScalar(memberRef, memberShape, v, "querystring", where));
  }
  return parseScalar(ref, target, values[0]!, "querystring", where);
}

// ---------------------------------------------------------------------------------------------
// Response side

/**
 * Render the members of an output (or error) shape bound to headers, prefix-header maps and
 * the status code. Returns the status, the headers, the members left for the body, and the
 * payload member when the shape has one.
 */
export function serializeRestBindings(
  model: ServiceModel,
  shapeName: string,
  value: Record<string, unknown>,
  defaultStatus: number,
): { status: number; headers: Record<string, string>; bodyValue: Record<string, unknown>; payloadMember?: string } {
  const shape = shapeOf(model, shapeName);
  const headers: Record<string, string> = {};
  const bodyValue: Record<string, unknown> = {};
  let status = defaultStatus;

  // An output sets a handful of its shape's members (GetObject's has about fifty): walk the
  // value's keys and put body members back in model order afterwards.
  const byName = membersByName(model, shape);
  let body: BoundMember[] | undefined;
  for (const key of Object.keys(value)) {
    const m = byName.get(key);
    if (m === undefined) continue;
    const { name, ref, target, wireName } = m;
    const v = value[name];
    if (v === undefined || v === null) continue;
    switch (ref.location) {
      case "header": {
        if (target.type === "list") {
          const memberRef = target.member!;
          const memberShape = shapeOf(model, memberRef);
          const items = (v as unknown[]).map((item) => {
            const text = formatScalar(memberRef, memberShape, item, "header");
            // HTTP dates hold a comma but are never quoted; clients split lists of them by pattern.
            return memberShape.type === "timestamp" ? text : quoteHeaderItem(text);
          });
          headers[wireName] = items.join(", ");
        } else {
          headers[wireName] = formatScalar(ref, target, v, "header");
        }
        break;
      }
      case "headers": {
        const valueRef = target.value ?? { shape: "String" };
        const valueShape = model.shapes[valueRef.shape] ?? { type: "string" };
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
          if (item === undefined || item === null) continue;
          headers[`${ref.locationName ?? ""}${k}`] = formatScalar(valueRef, valueShape, item, "header");
        }
        break;
      }
      case "statusCode": {
        const n = Number(v);
        if (Number.isInteger(n) && n >= 100 && n <= 599) status = n;
        break;
      }
      case "uri":
      case "querystring":
        // Only meaningful on requests.
        break;
      default:
        (body ??= []).push(m);
    }
  }
  if (body) {
    if (body.length > 1) body.sort((a, b) => a.index - b.index);
    for (const m of body) setOwn(bodyValue, m.name, value[m.name]);
  }
  return shape.payload ? { status, headers, bodyValue, payloadMember: shape.payload } : { status, headers, bodyValue };
}

/** Whether a shape has members that belong in the body (i.e. bound nowhere else). */
export function hasUnboundMembers(model: ServiceModel, shapeName: string): boolean {
  const shape = shapeOf(model, shapeName);
  return Object.values(shape.members ?? {}).some((ref) => !ref.location);
}
