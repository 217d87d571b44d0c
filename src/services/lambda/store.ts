/**
 * Lambda state, in tables of the account + region scope:
 *
 *   functions      name -> FunctionRecord ($LATEST configuration, code, tags, policy, concurrency)
 *   versions       name "\0" version (10 digits) -> VersionRecord (published, immutable)
 *   aliases        name "\0" alias -> AliasRecord
 *   event-queue    due time (15 digits) "\0" request id -> QueuedEvent (asynchronous invocations)
 *   layers         layer name -> LayerRecord (the last version number handed out)
 *   layer-versions layer name "\0" version (10 digits) -> LayerVersionRecord
 *   provisioned    function name "\0" qualifier -> ProvisionedRecord (provisioned concurrency)
 *
 * Package bytes live in the blob store; `code.ts` extracts them on first use.
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";
import type { CreateFunctionOutput } from "../../generated/lambda.js";

export type FunctionConfiguration = CreateFunctionOutput;

export interface CodeRef {
  blob: string;
  /** Base64 SHA-256, as CodeSha256 reports it. */
  sha256: string;
  /** Hex SHA-256 (names the extraction directory). */
  sha256Hex: string;
  size: number;
  /** Bytes once extracted (older records lack it). */
  unzipped?: number;
  /** The function's layers, in order (their contents are merged under the environment's /opt). */
  layers?: LayerRef[];
}

/** A layer version a function uses: enough to extract it even after the version is deleted. */
export interface LayerRef {
  arn: string;
  blob: string;
  sha256Hex: string;
  size: number;
}

export interface LayerRecord {
  lastVersion: number;
}

export interface LayerVersionRecord {
  LayerName: string;
  Version: number;
  Description: string;
  /** Epoch milliseconds. */
  created: number;
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: string[];
  LicenseInfo?: string;
  code: CodeRef;
  policy?: LayerPolicyStatement[];
  policyRevision?: string;
}

export interface LayerPolicyStatement {
  Sid: string;
  Effect: "Allow";
  Principal: string | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface ProvisionedRecord {
  qualifier: string;
  requested: number;
  /** Epoch milliseconds of the last Put. */
  lastModified: number;
  /** Changes on every Put, so a slow allocation does not overwrite a newer request's state. */
  generation: string;
  status: "IN_PROGRESS" | "READY" | "FAILED";
  statusReason?: string;
  allocated: number;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Principal: string | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface FunctionRecord {
  config: FunctionConfiguration;
  code: CodeRef;
  tags: Record<string, string>;
  lastVersion: number;
  reservedConcurrency?: number;
  policy?: PolicyStatement[];
}

export interface VersionRecord {
  config: FunctionConfiguration;
  code: CodeRef;
}

export interface AliasRecord {
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId: string;
}

export interface QueuedEvent {
  requestId: string;
  functionName: string;
  qualifier?: string;
  /** Base64 payload. */
  payload: string;
  attempts: number;
  enqueuedMs: number;
}

export const SEP = "\u0000";
export const versionKey = (name: string, version: number | string) => name + SEP + String(version).padStart(10, "0");
export const aliasKey = (name: string, alias: string) => name + SEP + alias;
export const queueKey = (dueMs: number, requestId: string) => String(dueMs).padStart(15, "0") + SEP + requestId;

type Source = MetadataStore | Tx;

export function tables(source: Source, scope: Scope) {
  return {
    functions: source.table<FunctionRecord>(scope, "functions") as Table<FunctionRecord>,
    versions: source.table<VersionRecord>(scope, "versions") as Table<VersionRecord>,
    aliases: source.table<AliasRecord>(scope, "aliases") as Table<AliasRecord>,
    queue: source.table<QueuedEvent>(scope, "event-queue") as Table<QueuedEvent>,
    layers: source.table<LayerRecord>(scope, "layers") as Table<LayerRecord>,
    layerVersions: source.table<LayerVersionRecord>(scope, "layer-versions") as Table<LayerVersionRecord>,
    provisioned: source.table<ProvisionedRecord>(scope, "provisioned") as Table<ProvisionedRecord>,
  };
}

export const functionArn = (scope: Pick<Scope, "account" | "region">, name: string, qualifier?: string) =>
  `arn:aws:lambda:${scope.region}:${scope.account}:function:${name}${qualifier ? `:${qualifier}` : ""}`;

export const layerArn = (scope: Pick<Scope, "account" | "region">, name: string, version?: number | string) =>
  `arn:aws:lambda:${scope.region}:${scope.account}:layer:${name}${version !== undefined ? `:${version}` : ""}`;
export const provisionedKey = (name: string, qualifier: string) => name + SEP + qualifier;
