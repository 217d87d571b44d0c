/**
 * Lambda layers: versions published from a zip (ZipFile or S3), read back with a Content.Location
 * that downloads the zip, listed with runtime and architecture filters, shared through layer
 * version policies, and referenced by functions (at most five, same region, readable by the
 * function's account). Version numbers are never reused, even after every version is deleted.
 * The environments extract a function's layers under its /opt directory (environments.ts).
 */
import { randomUUID } from "node:crypto";
import type { LambdaOperations, PublishLayerVersionRequest } from "../../generated/lambda.js";
import type { RequestContext } from "../../core/service.js";
import type { Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { LambdaErrors } from "./errors.js";
import { codeLocation, RUNTIMES, storeCode } from "./provider.js";
import { layerArn, SEP, tables, versionKey, type LayerPolicyStatement, type LayerRef, type LayerVersionRecord } from "./store.js";
import { UNZIPPED_LIMIT } from "./code.js";

const LAYER_NAME = "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
const LAYER_VERSION_ARN = "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)";
const ARCHITECTURES = ["x86_64", "arm64"];
/** Runtimes a layer may declare (any the model knows, not only those Nimbus runs). */
const OTHER_LAYER_RUNTIMES = ["java8.al2", "java11", "java17", "java21", "dotnet6", "dotnet8", "ruby3.2", "ruby3.3", "nodejs16.x", "python3.7"];
// provider.ts imports this module, so its runtime list is read on use, not at load.
const layerRuntimes = () => [...RUNTIMES, ...OTHER_LAYER_RUNTIMES];

const validation = (message: string) => new ServiceError(LambdaErrors.ValidationException, `1 validation error detected: ${message}`);
const invalid = (message: string) => new ServiceError(LambdaErrors.InvalidParameterValueException, message, { Type: "User" });
const notFound = (message = "The resource you requested does not exist.") => new ServiceError(LambdaErrors.ResourceNotFoundException, message, { Type: "User" });

export interface LayerRefName {
  name: string;
  account: string;
  region: string;
}

/** A LayerName: a name, or a layer ARN naming its account and region. */
export function parseLayerName(ctx: Pick<RequestContext, "account" | "region">, raw: string): LayerRefName {
  const m = /^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:)?([a-zA-Z0-9-_]+)$/.exec(raw);
  if (!m || raw.length > 140) throw validation(`Value '${raw}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${LAYER_NAME}`);
  return { name: m[3]!, account: m[2] ?? ctx.account, region: m[1] ?? ctx.region };
}

/** A layer version ARN: its layer and version, or undefined when it is not one. */
export function parseLayerVersionArn(arn: string): (LayerRefName & { version: number }) | undefined {
  const m = /^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/.exec(arn);
  if (!m || arn.length > 140) return undefined;
  return { region: m[1]!, account: m[2]!, name: m[3]!, version: Number(m[4]) };
}

const scopeOf = (l: LayerRefName): Scope => ({ account: l.account, region: l.region, service: "lambda" });
const createdDate = (ms: number) => new Date(ms).toISOString().replace("Z", "+0000");

function versionOutput(l: LayerRefName, v: LayerVersionRecord) {
  return {
    LayerVersionArn: layerArn(l, v.LayerName, v.Version),
    Version: v.Version,
    Description: v.Description,
    CreatedDate: createdDate(v.created),
    ...(v.CompatibleRuntimes?.length ? { CompatibleRuntimes: v.CompatibleRuntimes } : {}),
    ...(v.LicenseInfo !== undefined ? { LicenseInfo: v.LicenseInfo } : {}),
    ...(v.CompatibleArchitectures?.length ? { CompatibleArchitectures: v.CompatibleArchitectures } : {}),
  };
}

function fullOutput(ctx: RequestContext, l: LayerRefName, v: LayerVersionRecord) {
  return {
    Content: { Location: codeLocation(ctx, l, v.code), CodeSha256: v.code.sha256, CodeSize: v.code.size },
    LayerArn: layerArn(l, v.LayerName),
    ...versionOutput(l, v),
  };
}

async function getVersion(ctx: RequestContext, l: LayerRefName, version: number, missing: () => ServiceError = () => notFound()): Promise<LayerVersionRecord> {
  const v = await tables(ctx.storage.metadata, scopeOf(l)).layerVersions.get(versionKey(l.name, version));
  if (!v) throw missing();
  return v;
}

function checkVersionNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw validation(`Value '${n}' at 'versionNumber' failed to satisfy constraint: Member must have value greater than or equal to 1`);
}

function checkCompatibility(runtimes: string[] | undefined, architectures: string[] | undefined): void {
  if (runtimes && runtimes.length > 15) throw validation(`Value '[${runtimes.join(", ")}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15`);
  for (const r of runtimes ?? []) {
    if (!layerRuntimes().includes(r)) throw validation(`Value '[${runtimes!.join(", ")}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${layerRuntimes().join(", ")}]]`);
  }
  if (architectures && architectures.length > 2) throw validation(`Value '[${architectures.join(", ")}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to 2`);
  for (const a of architectures ?? []) {
    if (!ARCHITECTURES.includes(a)) throw validation(`Value '[${architectures!.join(", ")}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]`);
  }
}

function checkListFilters(runtime: string | undefined, architecture: string | undefined, maxItems: number | undefined): void {
  if (runtime !== undefined && !layerRuntimes().includes(runtime)) throw validation(`Value '${runtime}' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [${layerRuntimes().join(", ")}]`);
  if (architecture !== undefined && !ARCHITECTURES.includes(architecture)) throw validation(`Value '${architecture}' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]`);
  if (maxItems !== undefined && (maxItems < 1 || maxItems > 50)) throw validation(`Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value ${maxItems < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
}

const matches = (v: LayerVersionRecord, runtime: string | undefined, architecture: string | undefined) =>
  (runtime === undefined || (v.CompatibleRuntimes ?? []).includes(runtime)) && (architecture === undefined || (v.CompatibleArchitectures ?? []).includes(architecture));

function layerPolicyDocument(statements: LayerPolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
}

/** The policy of a layer version ARN (resource policies for authorization), if it has one. */
export async function layerPolicy(metadata: RequestContext["storage"]["metadata"], arn: string): Promise<string | undefined> {
  const l = parseLayerVersionArn(arn);
  if (!l) return undefined;
  const v = await tables(metadata, scopeOf(l)).layerVersions.get(versionKey(l.name, l.version));
  return v?.policy?.length ? layerPolicyDocument(v.policy) : undefined;
}

/** Does the layer version's policy let `account` use it (lambda:GetLayerVersion)? */
function grants(v: LayerVersionRecord, account: string): boolean {
  return (v.policy ?? []).some((s) => {
    if (s.Action !== "lambda:GetLayerVersion") return false;
    // An organization condition cannot be decided here (Nimbus has no organizations): it does not grant.
    if (s.Condition) return false;
    if (s.Principal === "*") return true;
    const p = typeof s.Principal === "string" ? s.Principal : s.Principal.AWS;
    return p === "*" || p === account || p === `arn:aws:iam::${account}:root`;
  });
}

/**
 * The layers a function names (CreateFunction, UpdateFunctionConfiguration), checked as AWS
 * checks them, with their combined unzipped size.
 */
export async function resolveLayers(ctx: RequestContext, fn: { account: string; region: string }, arns: string[]): Promise<{ refs: LayerRef[]; unzipped: number }> {
  if (arns.length > 5) throw invalid("Cannot reference more than 5 layers.");
  const refs: LayerRef[] = [];
  const seen = new Map<string, string>();
  let unzipped = 0;
  for (const arn of arns) {
    const l = parseLayerVersionArn(arn);
    if (!l) {
      throw validation(
        `Value '[${arn}]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN}, Member must not be null]`,
      );
    }
    const denied = () =>
      new ServiceError(LambdaErrors.AccessDeniedException, `User: ${ctx.principal.arn ?? "anonymous"} is not authorized to perform: lambda:GetLayerVersion on resource: ${arn} because no resource-based policy allows the lambda:GetLayerVersion action`);
    if (l.region !== fn.region) {
      if (l.account === fn.account) throw invalid(`Layers are not in the same region as the function. Layers are expected to be in region ${fn.region}.`);
      throw denied();
    }
    const v = await tables(ctx.storage.metadata, scopeOf(l)).layerVersions.get(versionKey(l.name, l.version));
    if (l.account !== fn.account) {
      if (!v || !grants(v, fn.account)) throw denied();
    } else if (!v) {
      throw invalid(`Layer version ${arn} does not exist.`);
    }
    const layer = layerArn(l, l.name);
    const other = seen.get(layer);
    if (other !== undefined) throw invalid(`Two different versions of the same layer are not allowed to be referenced in the same function. ${other} and ${arn} are versions of the same layer.`);
    seen.set(layer, arn);
    refs.push({ arn, blob: v!.code.blob, sha256Hex: v!.code.sha256Hex, size: v!.code.size });
    unzipped += v!.code.unzipped ?? 0;
  }
  return { refs, unzipped };
}

/** AWS's check of a function's package and layers together. */
export function checkCombinedSize(codeUnzipped: number | undefined, layersUnzipped: number): void {
  const total = (codeUnzipped ?? 0) + layersUnzipped;
  if (total > UNZIPPED_LIMIT) throw invalid(`Function code combined with layers exceeds the maximum allowed size of ${UNZIPPED_LIMIT} bytes. The actual size is ${total} bytes.`);
}

/** Is this blob still used by a function or version in any account (deleted layer versions keep serving them)? */
async function blobInUse(metadata: RequestContext["storage"]["metadata"], blob: string): Promise<boolean> {
  const scopes = new Map<string, Scope>();
  for (const s of [...(await metadata.scopes("lambda", "functions")), ...(await metadata.scopes("lambda", "versions"))]) scopes.set(`${s.account}:${s.region}`, s);
  for (const scope of scopes.values()) {
    const t = tables(metadata, scope);
    for (const r of [...(await t.functions.list()), ...(await t.versions.list())]) if (r.value.code.layers?.some((x) => x.blob === blob)) return true;
  }
  return false;
}

export const layerHandlers: Partial<LambdaOperations> = {
  async PublishLayerVersion(ctx, input: PublishLayerVersionRequest) {
    const l = parseLayerName(ctx, input.LayerName);
    if (input.Description !== undefined && input.Description.length > 256) throw validation(`Value '${input.Description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256`);
    if (input.LicenseInfo !== undefined && input.LicenseInfo.length > 512) throw validation(`Value '${input.LicenseInfo}' at 'licenseInfo' failed to satisfy constraint: Member must have length less than or equal to 512`);
    checkCompatibility(input.CompatibleRuntimes, input.CompatibleArchitectures);
    const code = await storeCode(ctx, input.Content ?? {});
    const record = await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, scopeOf(l));
      const n = ((await t.layers.get(l.name))?.lastVersion ?? 0) + 1;
      const v: LayerVersionRecord = {
        LayerName: l.name,
        Version: n,
        Description: input.Description ?? "",
        created: ctx.clock.nowMs(),
        ...(input.CompatibleRuntimes?.length ? { CompatibleRuntimes: input.CompatibleRuntimes } : {}),
        ...(input.CompatibleArchitectures?.length ? { CompatibleArchitectures: input.CompatibleArchitectures } : {}),
        ...(input.LicenseInfo !== undefined ? { LicenseInfo: input.LicenseInfo } : {}),
        code,
      };
      await t.layers.put(l.name, { lastVersion: n });
      await t.layerVersions.put(versionKey(l.name, n), v);
      return v;
    });
    return fullOutput(ctx, l, record);
  },

  async GetLayerVersion(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkVersionNumber(input.VersionNumber);
    return fullOutput(ctx, l, await getVersion(ctx, l, input.VersionNumber));
  },

  async GetLayerVersionByArn(ctx, input) {
    const l = parseLayerVersionArn(input.Arn);
    if (!l) throw validation(`Value '${input.Arn}' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN}`);
    return fullOutput(ctx, l, await getVersion(ctx, l, l.version));
  },

  async ListLayerVersions(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkListFilters(input.CompatibleRuntime, input.CompatibleArchitecture, input.MaxItems);
    const rows = await tables(ctx.storage.metadata, scopeOf(l)).layerVersions.list({ prefix: l.name + SEP });
    // Newest first, as AWS lists them; the marker is the last version number handed out.
    let versions = rows.map((r) => r.value).filter((v) => matches(v, input.CompatibleRuntime, input.CompatibleArchitecture)).reverse();
    if (input.Marker) {
      const after = Number(input.Marker);
      versions = versions.filter((v) => v.Version < after);
    }
    const max = input.MaxItems ?? 50;
    const page = versions.slice(0, max);
    return { LayerVersions: page.map((v) => versionOutput(l, v)), ...(versions.length > max ? { NextMarker: String(page[page.length - 1]!.Version) } : {}) };
  },

  async ListLayers(ctx, input) {
    checkListFilters(input.CompatibleRuntime, input.CompatibleArchitecture, input.MaxItems);
    const rows = await tables(ctx.storage.metadata, ctx.scope).layerVersions.list();
    const latest = new Map<string, LayerVersionRecord>();
    // Rows are ordered by name then version, so the last match per name is the latest one.
    for (const r of rows) if (matches(r.value, input.CompatibleRuntime, input.CompatibleArchitecture)) latest.set(r.value.LayerName, r.value);
    let names = [...latest.keys()];
    if (input.Marker) names = names.filter((n) => n > input.Marker!);
    const max = input.MaxItems ?? 50;
    const page = names.slice(0, max);
    const here = { account: ctx.account, region: ctx.region, name: "" };
    return {
      Layers: page.map((name) => ({ LayerName: name, LayerArn: layerArn(here, name), LatestMatchingVersion: versionOutput(here, latest.get(name)!) })),
      ...(names.length > max ? { NextMarker: page[page.length - 1]! } : {}),
    };
  },

  async DeleteLayerVersion(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkVersionNumber(input.VersionNumber);
    const t = tables(ctx.storage.metadata, scopeOf(l));
    const v = await t.layerVersions.get(versionKey(l.name, input.VersionNumber));
    // Deleting a version that is not there succeeds, as on AWS.
    if (!v) return {};
    await t.layerVersions.delete(versionKey(l.name, input.VersionNumber));
    // Functions that use the version keep running it: its bytes stay while one refers to them.
    if (!(await blobInUse(ctx.storage.metadata, v.code.blob))) await ctx.storage.blobs.delete(v.code.blob).catch(() => undefined);
    return {};
  },

  async AddLayerVersionPermission(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkVersionNumber(input.VersionNumber);
    if (!/^([a-zA-Z0-9-_]+)$/.test(input.StatementId) || input.StatementId.length > 100) {
      throw validation(`Value '${input.StatementId}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
    }
    if (input.Action !== "lambda:GetLayerVersion") throw validation(`Value '${input.Action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`);
    if (!/^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$/.test(input.Principal)) {
      throw validation(`Value '${input.Principal}' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root`);
    }
    if (input.OrganizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(input.OrganizationId)) {
      throw validation(`Value '${input.OrganizationId}' at 'organizationId' failed to satisfy constraint: Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}`);
    }
    const arn = layerArn(l, l.name, input.VersionNumber);
    const statement: LayerPolicyStatement = {
      Sid: input.StatementId,
      Effect: "Allow",
      Principal: input.Principal === "*" ? "*" : { AWS: /^\d{12}$/.test(input.Principal) ? `arn:aws:iam::${input.Principal}:root` : input.Principal },
      Action: input.Action,
      Resource: arn,
      ...(input.OrganizationId ? { Condition: { StringEquals: { "aws:PrincipalOrgID": input.OrganizationId } } } : {}),
    };
    const revision = await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, scopeOf(l));
      const v = await t.layerVersions.get(versionKey(l.name, input.VersionNumber));
      if (!v) throw notFound(`Layer version ${arn} does not exist.`);
      if (input.RevisionId !== undefined && input.RevisionId !== v.policyRevision) {
        throw new ServiceError(LambdaErrors.PreconditionFailedException, "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id", { Type: "User" });
      }
      if ((v.policy ?? []).some((s) => s.Sid === input.StatementId)) {
        throw new ServiceError(LambdaErrors.ResourceConflictException, `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`, { Type: "User" });
      }
      const next = randomUUID();
      await t.layerVersions.put(versionKey(l.name, input.VersionNumber), { ...v, policy: [...(v.policy ?? []), statement], policyRevision: next });
      return next;
    });
    return { Statement: JSON.stringify(statement), RevisionId: revision };
  },

  async RemoveLayerVersionPermission(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkVersionNumber(input.VersionNumber);
    const arn = layerArn(l, l.name, input.VersionNumber);
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, scopeOf(l));
      const v = await t.layerVersions.get(versionKey(l.name, input.VersionNumber));
      if (!v) throw notFound(`Layer version ${arn} does not exist.`);
      if (input.RevisionId !== undefined && input.RevisionId !== v.policyRevision) {
        throw new ServiceError(LambdaErrors.PreconditionFailedException, "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id", { Type: "User" });
      }
      if (!(v.policy ?? []).some((s) => s.Sid === input.StatementId)) throw notFound(`Statement ${input.StatementId} is not found in resource policy.`);
      const policy = v.policy!.filter((s) => s.Sid !== input.StatementId);
      const next: LayerVersionRecord = { ...v, policy, policyRevision: randomUUID() };
      if (!policy.length) {
        delete next.policy;
        delete next.policyRevision;
      }
      await t.layerVersions.put(versionKey(l.name, input.VersionNumber), next);
    });
    return {};
  },

  async GetLayerVersionPolicy(ctx, input) {
    const l = parseLayerName(ctx, input.LayerName);
    checkVersionNumber(input.VersionNumber);
    const v = await getVersion(ctx, l, input.VersionNumber, () => notFound(`Layer version ${layerArn(l, l.name, input.VersionNumber)} does not exist.`));
    if (!v.policy?.length) throw notFound("No policy is associated with the given resource.");
    return { Policy: layerPolicyDocument(v.policy), RevisionId: v.policyRevision! };
  },
};

/** IAM facts of the layer operations: the layer or layer version ARN they act on. */
export const layerAuthorization = {
  PublishLayerVersion: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, false),
  GetLayerVersion: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, true),
  DeleteLayerVersion: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, true),
  AddLayerVersionPermission: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, true),
  RemoveLayerVersionPermission: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, true),
  GetLayerVersionPolicy: (ctx: RequestContext, input: Record<string, unknown>) => onLayer(ctx, input, true),
  ListLayerVersions: () => ({ resources: ["*"] }),
  ListLayers: () => ({ resources: ["*"] }),
  GetLayerVersionByArn: (ctx: RequestContext, input: Record<string, unknown>) => {
    const l = parseLayerVersionArn(String(input.Arn ?? ""));
    if (!l) return { action: "lambda:GetLayerVersion", resources: ["*"] };
    return { action: "lambda:GetLayerVersion", resources: [layerArn(l, l.name, l.version)], ...(l.account !== ctx.account ? { resourceAccount: l.account } : {}) };
  },
};

function onLayer(ctx: RequestContext, input: Record<string, unknown>, versioned: boolean) {
  let l: LayerRefName;
  try {
    l = parseLayerName(ctx, String(input.LayerName ?? ""));
  } catch {
    // The handler answers the malformed name with its own validation error.
    return { resources: ["*"] };
  }
  const arn = versioned ? layerArn(l, l.name, String(input.VersionNumber ?? "")) : layerArn(l, l.name);
  return { resources: [arn], ...(l.account !== ctx.account ? { resourceAccount: l.account } : {}) };
}
