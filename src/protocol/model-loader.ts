/**
 * Loads AWS service models. The source is `aws-sdk` v2's `apis/<uid>.min.json` (Apache-2.0, on
 * npm): the only npm package that ships AWS's JSON service models whole, in the same format as
 * the protocol conformance vectors, with `required` lists, enums and length limits. Its models
 * froze in 2024, so `models/overlays/<service>.json` (a JSON merge patch) adds what changed since.
 *
 * The `.min.json` form inlines shapes into operations and renames shared shapes to `S1c`-style
 * keys, leaving scalar `type: "string"` implicit. `normalizeMinModel` lifts every inline shape to
 * a named one so that codecs and the type generator see the ordinary (botocore-style) model.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ServiceModel, Shape, ShapeRef, OperationModel } from "./model.js";

/** Keys that describe how a member is bound (they stay on the reference). */
const REF_ONLY = new Set([
  "location",
  "locationName",
  "queryName",
  "xmlAttribute",
  "hostLabel",
  "idempotencyToken",
  "contextParam",
  "jsonvalue",
  "eventpayload",
  "eventheader",
  "resultWrapper",
  "deprecated",
  "documentation",
]);
/** Keys that matter on both the reference and the shape. */
const SHARED = new Set(["flattened", "streaming", "timestampFormat", "xmlNamespace"]);

type Json = Record<string, unknown>;

export function normalizeMinModel(min: Json): ServiceModel {
  const srcShapes = (min.shapes ?? {}) as Record<string, Json>;
  const shapes: Record<string, Shape> = {};
  const taken = new Set(Object.keys(srcShapes));
  // Readable names for the minifier's shared shapes, chosen from their first use.
  const rename = new Map<string, string>();

  const pickName = (base: string): string => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    return name;
  };

  const isMinified = (name: string) => /^S[0-9a-zA-Z]{1,4}$/.test(name) && name in srcShapes;

  const sharedName = (orig: string, hint: string): string => {
    if (!isMinified(orig)) return orig;
    let name = rename.get(orig);
    if (!name) {
      name = pickName(hint);
      rename.set(orig, name);
      shapes[name] = liftShape(srcShapes[orig] as Json, name);
    }
    return name;
  };

  /** Turn an inline shape-or-ref into a ref to a named shape. */
  const liftRef = (node: Json, hint: string): ShapeRef => {
    const ref: Json = {};
    const shapeBody: Json = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "shape") continue;
      if (REF_ONLY.has(k)) ref[k] = v;
      else if (SHARED.has(k)) {
        ref[k] = v;
        shapeBody[k] = v;
      } else shapeBody[k] = v;
    }
    if (typeof node.shape === "string") {
      ref.shape = sharedName(node.shape, hint);
      return ref as unknown as ShapeRef;
    }
    const name = pickName(hint);
    shapes[name] = liftShape(shapeBody, name);
    ref.shape = name;
    return ref as unknown as ShapeRef;
  };

  const liftShape = (body: Json, name: string): Shape => {
    const shape: Json = { ...body };
    if (!shape.type) shape.type = body.members ? "structure" : "string";
    if (shape.members) {
      const members: Record<string, ShapeRef> = {};
      for (const [m, node] of Object.entries(shape.members as Record<string, Json>)) {
        members[m] = liftRef(node, `${name}${m}`);
      }
      shape.members = members;
    }
    if (shape.member) shape.member = liftRef(shape.member as Json, `${name}Member`);
    if (shape.key) shape.key = liftRef(shape.key as Json, `${name}Key`);
    if (shape.value) shape.value = liftRef(shape.value as Json, `${name}Value`);
    return shape as unknown as Shape;
  };

  // Shapes that already have real names (non-minified models) keep them.
  for (const [name, body] of Object.entries(srcShapes)) {
    if (!isMinified(name)) shapes[name] = liftShape(body, name);
  }

  const operations: Record<string, OperationModel> = {};
  for (const [opName, opSrc] of Object.entries((min.operations ?? {}) as Record<string, Json>)) {
    const op: Json = { ...opSrc, name: opName };
    if (opSrc.input) op.input = liftRef(opSrc.input as Json, `${opName}Request`);
    if (opSrc.output) op.output = liftRef(opSrc.output as Json, `${opName}Output`);
    if (Array.isArray(opSrc.errors)) {
      op.errors = (opSrc.errors as Json[]).map((e, i) => liftRef(e, `${opName}Error${i}`));
    }
    operations[opName] = op as unknown as OperationModel;
  }

  return { metadata: min.metadata as ServiceModel["metadata"], operations, shapes };
}

/** RFC 7396 JSON merge patch; `$comment` keys are documentation and are skipped. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (k === "$comment") continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export interface ServiceManifestEntry {
  model: string;
  overlay?: string;
  global?: boolean;
  /**
   * For services that share a signing name with another (SES v2 with SES, S3 Control with S3):
   * requests whose path starts with this prefix go to this service.
   */
  pathPrefix?: string;
}

const require = createRequire(import.meta.url);
/** `models/` at the package root; this file sits at the same depth in `src/` and `dist/`. */
const MODELS_DIR = new URL("../../models/", import.meta.url);

export function readManifest(): Record<string, ServiceManifestEntry> {
  const raw = JSON.parse(readFileSync(new URL("services.json", MODELS_DIR), "utf8")) as Json;
  delete raw.$comment;
  return raw as Record<string, ServiceManifestEntry>;
}

const cache = new Map<string, ServiceModel>();

/** The normalized, overlaid model of a Nimbus service (loaded on first use, then cached). */
export function loadServiceModel(entry: ServiceManifestEntry): ServiceModel {
  const key = `${entry.model}|${entry.overlay ?? ""}`;
  let model = cache.get(key);
  if (model) return model;
  const min = require(`aws-sdk/apis/${entry.model}.min.json`) as Json;
  model = normalizeMinModel(min);
  if (entry.overlay) {
    const patch = JSON.parse(readFileSync(new URL(`overlays/${entry.overlay}`, MODELS_DIR), "utf8")) as unknown;
    model = mergePatch(model, patch) as ServiceModel;
  }
  const meta = model.metadata;
  if (!meta.protocols || meta.protocols.length === 0) meta.protocols = [meta.protocol];
  cache.set(key, model);
  return model;
}
