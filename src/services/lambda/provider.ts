/**
 * Lambda handlers: functions from zip packages, versions, aliases, tags, reserved concurrency,
 * resource policies, layers (layers.ts), provisioned concurrency (provisioned.ts), and Invoke running the code for real (environments.ts) with asynchronous
 * invocations queued persistently and retried on the injected clock (async-invoke.ts).
 * InvokeWithResponseStream answers an event stream (PayloadChunk events as the function writes,
 * then InvokeComplete) from Node's awslambda.streamifyResponse handlers or any runtime using the
 * Runtime API's streaming mode (response-streaming.ts); function URLs serve BUFFERED or
 * RESPONSE_STREAM.
 *
 * ## Gaps
 * - Function URLs: AWS_IAM URLs answer every refusal (unsigned, bad signature, denied) with the
 *   same 403 {"Message":"Forbidden"}. A RESPONSE_STREAM URL maps a function that does not stream
 *   as a BUFFERED one does; a function error after the head is sent cuts the connection.
 * - Response streaming: chunks a slow reader has not taken yet are held in memory (no
 *   backpressure reaches the function); the 20 MiB limit applies, not the bandwidth cap past
 *   6 MB. InvokeComplete's ErrorCode is the runtime's error type (a trailer, or the errorType of
 *   a buffered function's error document) and ErrorDetails the error document.
 * - Code signing and runtime management answer 501 NotImplemented.
 * - Layers: a function's /opt is a directory of its own (its layers extracted in order), not a
 *   mount at /opt: NODE_PATH, PYTHONPATH, PATH and LD_LIBRARY_PATH name its folders as AWS's
 *   runtimes name /opt's, and NIMBUS_LAMBDA_OPT holds its path, but code that opens "/opt/..."
 *   literally does not find the files. AWS-published layers (`awslayer` ARNs) are not available;
 *   a layer policy statement with an OrganizationId grants nothing (no organizations).
 * - Provisioned concurrency on an alias with weighted routing warms its primary version only;
 *   Available equals Allocated; no ProvisionedConcurrency* metrics.
 * - A function naming another account's layer is checked against the layer version's policy,
 *   not also against the caller's own lambda:GetLayerVersion permission.
 * - Event source mappings: SQS and DynamoDB Streams (no Kinesis, Kafka, MQ, DocumentDB). The SQS
 *   poller calls SQS's handlers as the service and does not check the execution role's
 *   sqs:ReceiveMessage permission; maximum concurrency is recorded, not applied.
 * - DynamoDB Streams mappings: ParallelizationFactor (1-10) is recorded, but each stream's one
 *   shard is processed one batch at a time; TumblingWindowInSeconds is recorded, not applied (no
 *   window state); on-failure destinations are SQS queues and SNS topics (not S3 or Kafka); the
 *   mapping stays Enabled when its stream is disabled or its table deleted. The role's stream and
 *   destination permissions are checked at create/update (and the destination's again on
 *   delivery), not on every read.
 * - The function's /tmp is a private TMPDIR (not a mount at /tmp), and its size is not capped.
 * - Architectures are recorded, not emulated: code runs on the machine's architecture.
 * - Metrics: Invocations, Errors, Duration, Throttles and ConcurrentExecutions by FunctionName
 *   (and Resource when qualified); no per-account aggregates, DeadLetterErrors or IteratorAge.
 * - Resource policies are evaluated for service triggers by Nimbus's own statement matcher
 *   (principal, action, resource, aws:SourceArn / aws:SourceAccount conditions).
 *
 * ## By design
 * - Runtimes run on the machine: nodejs18.x/20.x/22.x on the Node running Nimbus, python3.x on
 *   `python3` (NIMBUS_LAMBDA_PYTHON), provided.al2/al2023 run the package's `bootstrap`.
 * - Scaling: an invocation that finds no idle environment starts one, as on AWS, but runs in
 *   whichever environment is free first (a warm one finishing its call, or the new one); at most
 *   4 environments per CPU start at a time (NIMBUS_LAMBDA_MAX_STARTING), a machine's stand-in for
 *   AWS's scaling rate. Reserved concurrency counts invocations in flight.
 * - Creation and code updates finish synchronously: CreateFunction answers State Pending (as AWS
 *   does) and the function is Active by the next read, so waiters pass at once.
 * - Timeouts are measured in real time (code runs in real time); idle reaping and asynchronous
 *   retries follow the injected clock.
 * - PackageType Image is refused: Nimbus runs functions without a container engine.
 * - As AWS's runtimes include the SDK, Node functions may require the AWS SDK v3 installed next to
 *   Nimbus (NODE_PATH), and Python functions get whatever boto3 their python3 has.
 * - Code.Location is a Nimbus URL (/_nimbus/lambda/code/...) signed for 10 minutes by a
 *   per-process key, not a presigned S3 URL.
 * - DynamoDB Streams mappings read the stream's records in-process (the records GetRecords
 *   returns) rather than through HTTP; a failed batch is retried after a few poller passes
 *   (about 0.2-2 s, real time) rather than AWS's exponential backoff.
 * - Packages are extracted once per code hash into a per-instance temporary directory; the zip
 *   itself is kept in the blob store, so extraction is redone after a restart.
 * - Provisioned concurrency is allocated in the background in real time (IN_PROGRESS, then
 *   READY once every environment finished init); its environments are never reaped while the
 *   configuration exists, and stored configurations are allocated again after a restart.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import type { LambdaOperations, CreateFunctionRequest, CreateEventSourceMappingRequest, InvokeWithResponseStreamOutput, InvokeWithResponseStreamRequest } from "../../generated/lambda.js";
import type { RequestContext } from "../../core/service.js";
import type { Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { getRoleByArn, trustsService } from "../iam/principals.js";
import { BucketStore } from "../s3/store.js";
import { ObjectStore } from "../s3/objects-store.js";
import { openBlob } from "../s3/provider-objects.js";
import { LambdaErrors } from "./errors.js";
import { listZip, UNZIPPED_LIMIT, ZIPPED_LIMIT } from "./code.js";
import { aliasKey, functionArn, provisionedKey, tables, versionKey, type AliasRecord, type CodeRef, type FunctionConfiguration, type FunctionRecord, type PolicyStatement } from "./store.js";
import { checkCombinedSize, parseLayerVersionArn, resolveLayers } from "./layers.js";
import { dropProvisioned, provisionedTotal, reapplyProvisioned } from "./provisioned.js";
import { executorOf, enqueueEvent, setLambdaEndpoint, eicKey, eventInvokeConfigs, type EventInvokeConfig } from "./async-invoke.js";
import { mappings, type MappingRecord } from "./event-source-mappings.js";
import { checkFailureDestination, checkStreamAccess, isDynamoStreamArn, startingCheckpoint, streamStates } from "./stream-mappings.js";
import { compileFilters } from "./filter-criteria.js";
import { ChunkQueue, invokeEvents, logTail, queueSink } from "./response-streaming.js";
import type { Executor, InvokeSpec } from "./environments.js";
import { functionUrl, indexUrl, newUrlId, urlKey, urlTable, type UrlConfig } from "./function-urls.js";

/** AWS's default account quotas. */
const LIMITS = {
  TotalCodeSize: 80_530_636_800,
  CodeSizeUnzipped: 262_144_000,
  CodeSizeZipped: 52_428_800,
  ConcurrentExecutions: 1000,
  UnreservedConcurrentExecutions: 1000,
};

export const RUNTIMES = [
  "nodejs18.x",
  "nodejs20.x",
  "nodejs22.x",
  "python3.8",
  "python3.9",
  "python3.10",
  "python3.11",
  "python3.12",
  "python3.13",
  "provided.al2",
  "provided.al2023",
  "provided",
];
const DEPRECATED = /^(nodejs(4\.3|6\.10|8\.10|10\.x|12\.x|14\.x|16\.x)?|python(2\.7|3\.6|3\.7)|dotnetcore.*|ruby2\..*|go1\.x|java8)$/;
const OTHER_RUNTIMES = ["java8.al2", "java11", "java17", "java21", "dotnet6", "dotnet8", "ruby3.2", "ruby3.3"];
const RESERVED_ENV = ["_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"];
const NAME_PATTERN = "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const SYNC_PAYLOAD = 6_291_456;
const ASYNC_PAYLOAD = 262_144;

const validation = (message: string) => new ServiceError(LambdaErrors.ValidationException, `1 validation error detected: ${message}`);
const invalid = (message: string) => new ServiceError(LambdaErrors.InvalidParameterValueException, message);

/** Where a FunctionName (name, partial or full ARN, maybe qualified) points. */
export interface FunctionRef {
  name: string;
  qualifier?: string;
  account: string;
  region: string;
}

export function parseFunctionName(ctx: Pick<RequestContext, "account" | "region">, raw: string, qualifier?: string): FunctionRef {
  const m = /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]{1,64})(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/.exec(raw);
  if (!m || raw.length > 170) throw validation(`Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
  const q = m[4];
  if (q !== undefined && qualifier !== undefined && q !== qualifier) throw invalid("The derived qualifier from the function name does not match the specified qualifier.");
  return { name: m[3]!, ...((q ?? qualifier) !== undefined ? { qualifier: (q ?? qualifier)! } : {}), account: m[2] ?? ctx.account, region: m[1] ?? ctx.region };
}

const scopeOf = (ref: FunctionRef): Scope => ({ account: ref.account, region: ref.region, service: "lambda" });

async function getRecord(ctx: RequestContext, ref: FunctionRef): Promise<FunctionRecord> {
  const rec = await tables(ctx.storage.metadata, scopeOf(ref)).functions.get(ref.name);
  if (!rec) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name)}`, { Type: "User" });
  return rec;
}

/** The configuration and code a qualifier selects; aliases pick a version by their weights. */
async function resolveQualified(ctx: RequestContext, ref: FunctionRef, rec: FunctionRecord): Promise<{ config: FunctionConfiguration; code: CodeRef; version: string }> {
  const q = ref.qualifier;
  if (q === undefined || q === "$LATEST") return { config: rec.config, code: rec.code, version: "$LATEST" };
  const t = tables(ctx.storage.metadata, scopeOf(ref));
  let version = q;
  if (!/^\d+$/.test(q)) {
    const alias = await t.aliases.get(aliasKey(ref.name, q));
    if (!alias) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name, q)}`, { Type: "User" });
    version = alias.FunctionVersion;
    let roll = Math.random();
    for (const [v, w] of Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {})) {
      if (roll < w) {
        version = v;
        break;
      }
      roll -= w;
    }
  }
  if (version === "$LATEST") return { config: rec.config, code: rec.code, version };
  const v = await t.versions.get(versionKey(ref.name, version));
  if (!v) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name, q)}`, { Type: "User" });
  return { config: v.config, code: v.code, version };
}

function lastModified(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

function checkNumbers(input: { Timeout?: number; MemorySize?: number; EphemeralStorage?: { Size?: number } }): void {
  if (input.Timeout !== undefined && input.Timeout < 1) throw validation(`Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  if (input.Timeout !== undefined && input.Timeout > 900) throw validation(`Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`);
  if (input.MemorySize !== undefined && input.MemorySize < 128) throw validation(`Value '${input.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128`);
  if (input.MemorySize !== undefined && input.MemorySize > 10240) throw validation(`Value '${input.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240`);
  const size = input.EphemeralStorage?.Size;
  if (size !== undefined && (size < 512 || size > 10240)) {
    throw validation(`Value '${size}' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value ${size < 512 ? "greater than or equal to 512" : "less than or equal to 10240"}`);
  }
}

function checkRuntime(runtime: string | undefined): void {
  if (runtime === undefined) return;
  if (DEPRECATED.test(runtime)) {
    throw invalid(`The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (nodejs22.x) while creating or updating functions.`);
  }
  if (OTHER_RUNTIMES.includes(runtime)) throw invalid(`Nimbus runs nodejs, python and provided runtimes on this machine; ${runtime} is not available.`);
  if (!RUNTIMES.includes(runtime)) throw validation(`Value '${runtime}' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${[...RUNTIMES, ...OTHER_RUNTIMES].join(", ")}] or be a valid ARN`);
}

function checkHandler(handler: string | undefined): void {
  if (handler !== undefined && (handler.length > 128 || !/^[^\s]+$/.test(handler))) {
    throw validation(`Value '${handler}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+`);
  }
}

function checkEnvironment(vars: Record<string, string> | undefined): void {
  if (!vars) return;
  const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k));
  if (reserved.length) {
    throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`);
  }
  for (const k of Object.keys(vars)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(k)) throw validation(`Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]`);
  }
  const measured = JSON.stringify(vars);
  if (Buffer.byteLength(measured) > 4096) {
    throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`);
  }
}

/** The role must exist and trust lambda.amazonaws.com, as Lambda checks by assuming it. */
async function checkRole(ctx: RequestContext, roleArn: string): Promise<void> {
  if (!ROLE_PATTERN.test(roleArn)) throw validation(`Value '${roleArn}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`);
  const role = await getRoleByArn(ctx.storage.metadata, roleArn);
  if (!role || !trustsService(role.trustPolicy, "lambda.amazonaws.com")) throw invalid("The role defined for the function cannot be assumed by Lambda.");
}

/** Read the package from ZipFile or S3, check it, and store it in the blob store. */
export async function storeCode(ctx: RequestContext, code: { ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string; ImageUri?: string }): Promise<CodeRef> {
  let zip: Buffer;
  if (code.ZipFile !== undefined) {
    zip = code.ZipFile;
    if (zip.length > ZIPPED_LIMIT) throw new ServiceError(LambdaErrors.RequestTooLargeException, `Request must be smaller than 70167211 bytes for the CreateFunction operation`);
  } else if (code.S3Bucket !== undefined && code.S3Key !== undefined) {
    const bucket = await new BucketStore(ctx.storage.metadata).get(code.S3Bucket);
    if (!bucket) throw invalid("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist");
    const objects = new ObjectStore(ctx.storage.metadata, ctx.storage.blobs, (m) => ctx.logger.warn(m));
    const found = await objects.find(bucket, code.S3Key, code.S3ObjectVersion);
    if (!found || found.version.deleteMarker || !found.version.blob) throw invalid("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.");
    // S3's own reader: objects are encrypted at rest and checked against their hash.
    const chunks: Buffer[] = [];
    for await (const c of await openBlob(ctx, found.version)) chunks.push(c as Buffer);
    zip = Buffer.concat(chunks);
    if (zip.length > ZIPPED_LIMIT) throw invalid(`Unzipped size must be smaller than ${UNZIPPED_LIMIT} bytes`);
  } else if (code.ImageUri !== undefined) {
    throw invalid("Nimbus runs functions without a container engine: PackageType Image is not supported. Deploy a .zip package instead.");
  } else {
    throw invalid("Please provide a source for function code.");
  }
  let unzipped = 0;
  try {
    for (const e of await listZip(zip)) unzipped += e.size;
  } catch {
    throw invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
  }
  if (unzipped > UNZIPPED_LIMIT) throw invalid(`Unzipped size must be smaller than ${UNZIPPED_LIMIT} bytes`);
  const info = await ctx.storage.blobs.put(zip);
  return { blob: info.id, sha256: Buffer.from(info.sha256, "hex").toString("base64"), sha256Hex: info.sha256, size: zip.length, unzipped };
}

function publicConfig(c: FunctionConfiguration): FunctionConfiguration {
  return c;
}

async function mutateFunction(ctx: RequestContext, ref: FunctionRef, revisionId: string | undefined, fn: (rec: FunctionRecord) => FunctionRecord | Promise<FunctionRecord>): Promise<FunctionRecord> {
  return ctx.storage.metadata.transaction(async (tx) => {
    const t = tables(tx, scopeOf(ref));
    const rec = await t.functions.get(ref.name);
    if (!rec) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name)}`, { Type: "User" });
    if (revisionId !== undefined && revisionId !== rec.config.RevisionId) {
      throw new ServiceError(LambdaErrors.PreconditionFailedException, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", { Type: "User" });
    }
    const next = await fn(rec);
    await t.functions.put(ref.name, next);
    return next;
  });
}

/** Signing secret for Code.Location URLs (per process: URLs do not outlive it). */
const CODE_URL_SECRET = randomBytes(32);
export function signCodeUrl(path: string, expires: number): string {
  return createHmac("sha256", CODE_URL_SECRET).update(`${path}\n${expires}`).digest("hex");
}

/** A signed URL that downloads a package (a function's code or a layer version's content). */
export function codeLocation(ctx: RequestContext, ref: Pick<FunctionRef, "account">, code: Pick<CodeRef, "blob">): string {
  const path = `code/${ref.account}/${encodeURIComponent(code.blob)}`;
  const expires = Math.floor(ctx.clock.nowMs() / 1000) + 600;
  return `${ctx.endpoint}/_nimbus/lambda/${path}?expires=${expires}&signature=${signCodeUrl(path, expires)}`;
}

function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
}

export async function functionPolicy(metadata: RequestContext["storage"]["metadata"], arn: string): Promise<string | undefined> {
  const m = /^arn:aws[a-zA-Z-]*:lambda:([^:]+):(\d{12}):function:([^:]+)/.exec(arn);
  if (!m) return undefined;
  const rec = await tables(metadata, { account: m[2]!, region: m[1]!, service: "lambda" }).functions.get(m[3]!);
  return rec?.policy?.length ? policyDocument(rec.policy) : undefined;
}

export const handlers: Partial<LambdaOperations> = {
  async GetAccountSettings(ctx) {
    const rows = await tables(ctx.storage.metadata, ctx.scope).functions.list();
    const total = rows.reduce((n, r) => n + r.value.code.size, 0);
    return { AccountLimit: LIMITS, AccountUsage: { TotalCodeSize: total, FunctionCount: rows.length } };
  },

  async ListFunctions(ctx, input) {
    const max = Math.min(input.MaxItems ?? 50, 50);
    const rows = await tables(ctx.storage.metadata, ctx.scope).functions.list({ ...(input.Marker ? { after: input.Marker } : {}), limit: max + 1 });
    const page = rows.slice(0, max);
    return {
      Functions: page.map((r) => publicConfig(r.value.config)),
      ...(rows.length > max ? { NextMarker: page[page.length - 1]!.key } : {}),
    };
  },

  async CreateFunction(ctx, input: CreateFunctionRequest) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(input.FunctionName) && input.FunctionName !== ref.name) {
      // A full or partial ARN names the function; its qualifier may not.
      if (ref.qualifier) throw invalid("Unsupported qualifier");
    }
    if ((input.PackageType ?? "Zip") === "Image") throw invalid("Nimbus runs functions without a container engine: PackageType Image is not supported. Deploy a .zip package instead.");
    if (input.PackageType !== undefined && input.PackageType !== "Zip") throw validation(`Value '${input.PackageType}' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]`);
    if (input.Runtime === undefined) throw invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
    if (input.Handler === undefined) throw invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
    checkRuntime(input.Runtime);
    checkHandler(input.Handler);
    checkNumbers(input);
    checkEnvironment(input.Environment?.Variables);
    for (const a of input.Architectures ?? []) if (a !== "x86_64" && a !== "arm64") throw validation(`Value '[${a}]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]`);
    if ((input.Architectures?.length ?? 0) > 1) throw validation(`Value '[${input.Architectures!.join(", ")}]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1`);
    const layers = await resolveLayers(ctx, ref, input.Layers ?? []);
    await checkRole(ctx, input.Role);
    if (await tables(ctx.storage.metadata, scopeOf(ref)).functions.get(ref.name)) {
      throw new ServiceError(LambdaErrors.ResourceConflictException, `Function already exist: ${ref.name}`, { Type: "User" });
    }
    const code = await storeCode(ctx, input.Code);
    try {
      checkCombinedSize(code.unzipped, layers.unzipped);
    } catch (e) {
      await ctx.storage.blobs.delete(code.blob).catch(() => undefined);
      throw e;
    }
    if (layers.refs.length) code.layers = layers.refs;
    const now = ctx.clock.nowMs();
    const config: FunctionConfiguration = {
      FunctionName: ref.name,
      FunctionArn: functionArn(ref, ref.name),
      Runtime: input.Runtime,
      Role: input.Role,
      Handler: input.Handler,
      CodeSize: code.size,
      Description: input.Description ?? "",
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
      LastModified: lastModified(now),
      CodeSha256: code.sha256,
      Version: "$LATEST",
      ...(input.Environment?.Variables ? { Environment: { Variables: input.Environment.Variables } } : {}),
      ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: { TargetArn: input.DeadLetterConfig.TargetArn } } : {}),
      ...(layers.refs.length ? { Layers: layers.refs.map((l) => ({ Arn: l.arn, CodeSize: l.size })) } : {}),
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? "PassThrough" },
      RevisionId: randomUUID(),
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
      Architectures: input.Architectures?.length ? input.Architectures : ["x86_64"],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
      LoggingConfig: { LogFormat: input.LoggingConfig?.LogFormat ?? "Text", LogGroup: input.LoggingConfig?.LogGroup ?? `/aws/lambda/${ref.name}` },
    };
    const tags = { ...(input.Tags ?? {}) };
    let published: FunctionConfiguration | undefined;
    const created = await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, scopeOf(ref));
      if (await t.functions.get(ref.name)) return false;
      const rec: FunctionRecord = { config, code, tags, lastVersion: 0 };
      if (input.Publish) {
        published = { ...config, Version: "1", FunctionArn: functionArn(ref, ref.name, "1"), RevisionId: randomUUID() };
        await t.versions.put(versionKey(ref.name, 1), { config: published, code });
        rec.lastVersion = 1;
      }
      await t.functions.put(ref.name, rec);
      return true;
    });
    if (!created) {
      await ctx.storage.blobs.delete(code.blob).catch(() => undefined);
      throw new ServiceError(LambdaErrors.ResourceConflictException, `Function already exist: ${ref.name}`, { Type: "User" });
    }
    const shown = published ?? config;
    return { ...shown, State: "Pending", StateReason: "The function is being created.", StateReasonCode: "Creating" };
  },

  async GetFunction(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    const { config, code } = await resolveQualified(ctx, ref, rec);
    return {
      Configuration: publicConfig(config),
      Code: { RepositoryType: "S3", Location: codeLocation(ctx, ref, code) },
      ...(Object.keys(rec.tags).length ? { Tags: rec.tags } : {}),
      ...(rec.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: rec.reservedConcurrency } } : {}),
    };
  },

  async GetFunctionConfiguration(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    return publicConfig((await resolveQualified(ctx, ref, rec)).config);
  },

  async UpdateFunctionCode(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    if (input.ImageUri !== undefined) throw invalid("Nimbus runs functions without a container engine: PackageType Image is not supported. Deploy a .zip package instead.");
    const code = await storeCode(ctx, input);
    let published: FunctionConfiguration | undefined;
    const rec = await mutateFunction(ctx, ref, input.RevisionId, async (r) => {
      const layers = r.code.layers ?? [];
      if (layers.length) {
        // The layers stay; their sizes count against the package's.
        const sizes = await Promise.all(layers.map(async (l) => {
          const v = parseLayerVersionArn(l.arn);
          return v ? ((await tables(ctx.storage.metadata, { account: v.account, region: v.region, service: "lambda" }).layerVersions.get(versionKey(v.name, v.version)))?.code.unzipped ?? 0) : 0;
        }));
        checkCombinedSize(code.unzipped, sizes.reduce((a, b) => a + b, 0));
      }
      const config = { ...r.config, CodeSha256: code.sha256, CodeSize: code.size, LastModified: lastModified(ctx.clock.nowMs()), RevisionId: randomUUID() };
      return { ...r, config, code: layers.length ? { ...code, layers } : code };
    }).catch(async (e: unknown) => {
      await ctx.storage.blobs.delete(code.blob).catch(() => undefined);
      throw e;
    });
    executorOf(ctx.storage.metadata)?.retireFunction(scopeOf(ref), ref.name, "$LATEST");
    if (input.Publish) published = await publish(ctx, ref, undefined);
    return { ...(published ?? rec.config), LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" };
  },

  async UpdateFunctionConfiguration(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    checkRuntime(input.Runtime);
    checkHandler(input.Handler);
    checkNumbers(input);
    checkEnvironment(input.Environment?.Variables);
    const layers = input.Layers !== undefined ? await resolveLayers(ctx, ref, input.Layers) : undefined;
    if (input.Role !== undefined) await checkRole(ctx, input.Role);
    const rec = await mutateFunction(ctx, ref, input.RevisionId, (r) => {
      const c: FunctionConfiguration = { ...r.config };
      let code = r.code;
      if (layers) {
        checkCombinedSize(r.code.unzipped, layers.unzipped);
        code = { ...r.code };
        if (layers.refs.length) {
          code.layers = layers.refs;
          c.Layers = layers.refs.map((l) => ({ Arn: l.arn, CodeSize: l.size }));
        } else {
          delete code.layers;
          delete c.Layers;
        }
      }
      if (input.Runtime !== undefined) c.Runtime = input.Runtime;
      if (input.Handler !== undefined) c.Handler = input.Handler;
      if (input.Role !== undefined) c.Role = input.Role;
      if (input.Description !== undefined) c.Description = input.Description;
      if (input.Timeout !== undefined) c.Timeout = input.Timeout;
      if (input.MemorySize !== undefined) c.MemorySize = input.MemorySize;
      if (input.Environment !== undefined) {
        if (input.Environment.Variables && Object.keys(input.Environment.Variables).length) c.Environment = { Variables: input.Environment.Variables };
        else delete c.Environment;
      }
      if (input.EphemeralStorage?.Size !== undefined) c.EphemeralStorage = { Size: input.EphemeralStorage.Size };
      if (input.TracingConfig?.Mode !== undefined) c.TracingConfig = { Mode: input.TracingConfig.Mode };
      if (input.DeadLetterConfig !== undefined) {
        if (input.DeadLetterConfig.TargetArn) c.DeadLetterConfig = { TargetArn: input.DeadLetterConfig.TargetArn };
        else delete c.DeadLetterConfig;
      }
      if (input.LoggingConfig !== undefined) c.LoggingConfig = { ...c.LoggingConfig, ...input.LoggingConfig };
      c.LastModified = lastModified(ctx.clock.nowMs());
      c.RevisionId = randomUUID();
      return { ...r, config: c, code };
    });
    executorOf(ctx.storage.metadata)?.retireFunction(scopeOf(ref), ref.name, "$LATEST");
    return { ...rec.config, LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" };
  },

  async DeleteFunction(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    if (ref.qualifier === "$LATEST") throw invalid("$LATEST version cannot be deleted without deleting the function.");
    const blobs: string[] = [];
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, scopeOf(ref));
      const rec = await t.functions.get(ref.name);
      if (!rec) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name)}`, { Type: "User" });
      if (ref.qualifier !== undefined) {
        const key = versionKey(ref.name, ref.qualifier);
        const v = await t.versions.get(key);
        if (!v) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name, ref.qualifier)}`, { Type: "User" });
        const aliases = await t.aliases.list({ prefix: ref.name + "\u0000" });
        const using = aliases.filter((a) => a.value.FunctionVersion === ref.qualifier || a.value.RoutingConfig?.AdditionalVersionWeights?.[ref.qualifier!] !== undefined);
        if (using.length) throw new ServiceError(LambdaErrors.ResourceConflictException, `Unable to delete version because the following aliases reference it: [${using.map((a) => a.value.Name).join(", ")}]`, { Type: "User" });
        await t.versions.delete(key);
        await t.provisioned.delete(provisionedKey(ref.name, ref.qualifier));
        return;
      }
      await t.provisioned.clear({ prefix: ref.name + "\u0000" });
      blobs.push(rec.code.blob);
      for (const v of await t.versions.list({ prefix: ref.name + "\u0000" })) {
        blobs.push(v.value.code.blob);
        await t.versions.delete(v.key);
      }
      await t.aliases.clear({ prefix: ref.name + "\u0000" });
      await t.functions.delete(ref.name);
    });
    executorOf(ctx.storage.metadata)?.retireFunction(scopeOf(ref), ref.name, ref.qualifier);
    const urls = urlTable(ctx.storage.metadata, scopeOf(ref));
    for (const u of await urls.list({ prefix: ref.name + "\u0000" })) {
      if (ref.qualifier !== undefined) continue;
      await urls.delete(u.key);
      await indexUrl(ctx.storage.metadata, u.value.urlId, undefined);
    }
    for (const b of new Set(blobs)) await ctx.storage.blobs.delete(b).catch(() => undefined);
    return {};
  },

  async PublishVersion(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    return publish(ctx, ref, input);
  },

  async ListVersionsByFunction(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const rec = await getRecord(ctx, ref);
    const versions = await tables(ctx.storage.metadata, scopeOf(ref)).versions.list({ prefix: ref.name + "\u0000" });
    const all = [rec.config, ...versions.map((v) => v.value.config)];
    const start = input.Marker ? Number(input.Marker) : 0;
    const max = input.MaxItems ?? 50;
    const page = all.slice(start, start + max);
    return { Versions: page, ...(start + max < all.length ? { NextMarker: String(start + max) } : {}) };
  },

  async CreateAlias(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    checkAliasName(input.Name);
    await checkAliasTargets(ctx, ref, input.FunctionVersion, input.RoutingConfig?.AdditionalVersionWeights);
    const alias: AliasRecord = {
      AliasArn: functionArn(ref, ref.name, input.Name),
      Name: input.Name,
      FunctionVersion: input.FunctionVersion,
      Description: input.Description ?? "",
      ...(input.RoutingConfig?.AdditionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights } } : {}),
      RevisionId: randomUUID(),
    };
    const ok = await tables(ctx.storage.metadata, scopeOf(ref)).aliases.insert(aliasKey(ref.name, input.Name), alias);
    if (!ok) throw new ServiceError(LambdaErrors.ResourceConflictException, `Alias already exists: ${alias.AliasArn}`, { Type: "User" });
    return alias;
  },

  async GetAlias(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    return getAlias(ctx, ref, input.Name);
  },

  async UpdateAlias(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const cur = await getAlias(ctx, ref, input.Name);
    if (input.RevisionId !== undefined && input.RevisionId !== cur.RevisionId) {
      throw new ServiceError(LambdaErrors.PreconditionFailedException, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", { Type: "User" });
    }
    const version = input.FunctionVersion ?? cur.FunctionVersion;
    const weights = input.RoutingConfig !== undefined ? input.RoutingConfig.AdditionalVersionWeights : cur.RoutingConfig?.AdditionalVersionWeights;
    await checkAliasTargets(ctx, ref, version, weights);
    const next: AliasRecord = {
      ...cur,
      FunctionVersion: version,
      Description: input.Description ?? cur.Description,
      RevisionId: randomUUID(),
    };
    if (weights && Object.keys(weights).length) next.RoutingConfig = { AdditionalVersionWeights: weights };
    else delete next.RoutingConfig;
    await tables(ctx.storage.metadata, scopeOf(ref)).aliases.put(aliasKey(ref.name, input.Name), next);
    // Provisioned concurrency on the alias follows it to its new version.
    if (next.FunctionVersion !== cur.FunctionVersion) await reapplyProvisioned(ctx, ref, input.Name);
    return next;
  },

  async DeleteAlias(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    await tables(ctx.storage.metadata, scopeOf(ref)).aliases.delete(aliasKey(ref.name, input.Name));
    // The alias's provisioned concurrency goes with it.
    await dropProvisioned(ctx, ref, input.Name);
    return {};
  },

  async ListAliases(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    let rows = (await tables(ctx.storage.metadata, scopeOf(ref)).aliases.list({ prefix: ref.name + "\u0000" })).map((r) => r.value);
    if (input.FunctionVersion !== undefined) rows = rows.filter((a) => a.FunctionVersion === input.FunctionVersion);
    const start = input.Marker ? Number(input.Marker) : 0;
    const max = input.MaxItems ?? 50;
    return { Aliases: rows.slice(start, start + max), ...(start + max < rows.length ? { NextMarker: String(start + max) } : {}) };
  },

  async TagResource(ctx, input) {
    const ref = parseFunctionName(ctx, input.Resource);
    await mutateFunction(ctx, ref, undefined, (r) => ({ ...r, tags: { ...r.tags, ...input.Tags } }));
    return {};
  },

  async UntagResource(ctx, input) {
    const ref = parseFunctionName(ctx, input.Resource);
    await mutateFunction(ctx, ref, undefined, (r) => {
      const tags = { ...r.tags };
      for (const k of input.TagKeys) delete tags[k];
      return { ...r, tags };
    });
    return {};
  },

  async ListTags(ctx, input) {
    const ref = parseFunctionName(ctx, input.Resource);
    return { Tags: (await getRecord(ctx, ref)).tags };
  },

  async PutFunctionConcurrency(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const n = input.ReservedConcurrentExecutions;
    if (n < 0) throw validation(`Value '${n}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    if (n > LIMITS.ConcurrentExecutions - 100) {
      throw invalid(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].`);
    }
    const provisioned = await provisionedTotal(ctx, ref);
    if (n < provisioned) throw invalid(`ReservedConcurrentExecutions  should not be lower than function's total provisioned concurrency [${provisioned}].`);
    await mutateFunction(ctx, ref, undefined, (r) => ({ ...r, reservedConcurrency: n }));
    return { ReservedConcurrentExecutions: n };
  },

  async GetFunctionConcurrency(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const rec = await getRecord(ctx, ref);
    return rec.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: rec.reservedConcurrency } : {};
  },

  async DeleteFunctionConcurrency(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await mutateFunction(ctx, ref, undefined, (r) => {
      const next = { ...r };
      delete next.reservedConcurrency;
      return next;
    });
    return {};
  },

  async AddPermission(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    if (!/^([a-zA-Z0-9-_]+)$/.test(input.StatementId) || input.StatementId.length > 100) {
      throw validation(`Value '${input.StatementId}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
    }
    if (!/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(input.Action)) {
      throw validation(`Value '${input.Action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`);
    }
    const principal = input.Principal;
    const statement: PolicyStatement = {
      Sid: input.StatementId,
      Effect: "Allow",
      Principal: principal === "*" ? "*" : /\.amazonaws\.com$/.test(principal) ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
      Action: input.Action,
      Resource: functionArn(ref, ref.name, ref.qualifier),
    };
    const condition: Record<string, Record<string, string>> = {};
    if (input.SourceArn) condition.ArnLike = { "AWS:SourceArn": input.SourceArn };
    if (input.SourceAccount) condition.StringEquals = { "AWS:SourceAccount": input.SourceAccount };
    if (input.PrincipalOrgID) condition.StringEquals = { ...condition.StringEquals, "aws:PrincipalOrgID": input.PrincipalOrgID };
    if (input.FunctionUrlAuthType) condition.StringEquals = { ...condition.StringEquals, "lambda:FunctionUrlAuthType": input.FunctionUrlAuthType };
    if (Object.keys(condition).length) statement.Condition = condition;
    if (ref.qualifier !== undefined) await resolveQualified(ctx, ref, await getRecord(ctx, ref));
    await mutateFunction(ctx, { ...ref }, input.RevisionId, (r) => {
      const list = r.policy ?? [];
      if (list.some((s) => s.Sid === input.StatementId)) {
        throw new ServiceError(LambdaErrors.ResourceConflictException, `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`, { Type: "User" });
      }
      return { ...r, policy: [...list, statement], config: { ...r.config, RevisionId: randomUUID() } };
    });
    return { Statement: JSON.stringify(statement) };
  },

  async RemovePermission(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await mutateFunction(ctx, ref, input.RevisionId, (r) => {
      const list = r.policy ?? [];
      if (!list.some((s) => s.Sid === input.StatementId)) {
        throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Statement ${input.StatementId} is not found in resource policy.`, { Type: "User" });
      }
      return { ...r, policy: list.filter((s) => s.Sid !== input.StatementId), config: { ...r.config, RevisionId: randomUUID() } };
    });
    return {};
  },

  async GetPolicy(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    if (!rec.policy?.length) throw new ServiceError(LambdaErrors.ResourceNotFoundException, "The resource you requested does not exist.", { Type: "User" });
    return { Policy: policyDocument(rec.policy), RevisionId: rec.config.RevisionId! };
  },

  async Invoke(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    const target = await resolveQualified(ctx, ref, rec);
    const type = input.InvocationType ?? "RequestResponse";
    if (!["RequestResponse", "Event", "DryRun"].includes(type)) {
      throw validation(`Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
    }
    const payload = checkPayload(input.Payload, type === "Event" ? ASYNC_PAYLOAD : SYNC_PAYLOAD);
    if (type === "DryRun") return { StatusCode: 204 };
    if (type === "Event") {
      await enqueueEvent(ctx.storage.metadata, scopeOf(ref), { requestId: ctx.requestId, functionName: ref.name, ...(ref.qualifier !== undefined ? { qualifier: ref.qualifier } : {}), payload: payload.toString("base64"), attempts: 0, enqueuedMs: ctx.clock.nowMs() }, ctx.clock.nowMs(), ctx.endpoint);
      return { StatusCode: 202 };
    }
    const result = await runningExecutor(ctx).invoke(syncInvocation(ctx, ref, rec, target, payload, input.ClientContext));
    const tail = input.LogType === "Tail" ? logTail(result.log) : undefined;
    return {
      StatusCode: 200,
      Payload: result.payload,
      ExecutedVersion: target.version,
      ...(result.functionError ? { FunctionError: result.functionError } : {}),
      ...(tail !== undefined ? { LogResult: tail } : {}),
    };
  },
};

/** The executor, which runs while the Lambda service does. */
function runningExecutor(ctx: RequestContext): Executor {
  const executor = executorOf(ctx.storage.metadata);
  if (!executor) throw new ServiceError(LambdaErrors.ServiceException, "Lambda's executor is not running.");
  return executor;
}

/** What the executor needs to run a synchronous invocation (Invoke, InvokeWithResponseStream). */
function syncInvocation(
  ctx: RequestContext,
  ref: FunctionRef,
  rec: FunctionRecord,
  target: { config: FunctionConfiguration; code: CodeRef; version: string },
  payload: Buffer,
  clientContext: string | undefined,
): InvokeSpec {
  return {
    scope: scopeOf(ref),
    config: target.config,
    code: target.code,
    version: target.version,
    invokedArn: functionArn(ref, ref.name, ref.qualifier),
    payload: payload.length ? payload : Buffer.from("{}"),
    ...(clientContext ? { clientContext } : {}),
    ...(rec.reservedConcurrency !== undefined ? { reservedConcurrency: rec.reservedConcurrency } : {}),
    endpoint: ctx.endpoint,
    requestId: ctx.requestId,
  };
}

/** An invocation's payload within its limit and, when present, JSON. */
function checkPayload(raw: Buffer | undefined, limit: number): Buffer {
  const payload = raw ?? Buffer.alloc(0);
  if (payload.length > limit) {
    throw new ServiceError(LambdaErrors.RequestTooLargeException, `Request must be smaller than ${limit} bytes for the InvokeFunction operation`, { Type: "User" });
  }
  if (payload.length > 0) {
    try {
      JSON.parse(payload.toString("utf8"));
    } catch (e) {
      throw new ServiceError(LambdaErrors.InvalidRequestContentException, `Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`, { Type: "User" });
    }
  }
  return payload;
}

Object.assign(handlers, {
  /**
   * The response as an event stream while the function produces it. Everything that can fail
   * before the function has an environment (not found, bad input, throttling, a failed start) is
   * an ordinary error response; what happens after is told by the InvokeComplete event.
   */
  async InvokeWithResponseStream(ctx: RequestContext, input: InvokeWithResponseStreamRequest) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    const target = await resolveQualified(ctx, ref, rec);
    const type = input.InvocationType ?? "RequestResponse";
    if (type !== "RequestResponse" && type !== "DryRun") {
      throw validation(`Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]`);
    }
    const payload = checkPayload(input.Payload, SYNC_PAYLOAD);
    if (type === "DryRun") return { StatusCode: 204 };
    const queue = new ChunkQueue();
    let dispatched!: () => void;
    const onDispatch = new Promise<void>((r) => (dispatched = r));
    const done = runningExecutor(ctx).invoke({ ...syncInvocation(ctx, ref, rec, target, payload, input.ClientContext), stream: queueSink(queue, dispatched) });
    done.then(
      () => queue.end(),
      (e: unknown) => queue.fail(e),
    );
    await Promise.race([onDispatch, done]);
    return {
      StatusCode: 200,
      ExecutedVersion: target.version,
      // The protocol layer writes an async iterable of events as the event stream; the generated
      // type describes one event's shape, so it is cast here.
      EventStream: invokeEvents(queue, done, input.LogType === "Tail") as unknown as InvokeWithResponseStreamOutput["EventStream"],
    };
  },
} satisfies Partial<LambdaOperations>);

function checkAliasName(name: string): void {
  if (!/^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/.test(name) || name.length > 128) {
    throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`);
  }
}

async function checkAliasTargets(ctx: RequestContext, ref: FunctionRef, version: string, weights: Record<string, number> | undefined): Promise<void> {
  const t = tables(ctx.storage.metadata, scopeOf(ref));
  for (const v of [version, ...Object.keys(weights ?? {})]) {
    if (v === "$LATEST") continue;
    if (!/^\d+$/.test(v) || !(await t.versions.get(versionKey(ref.name, v)))) {
      throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name, v)}`, { Type: "User" });
    }
  }
  if (weights) {
    const entries = Object.entries(weights);
    if (entries.length > 1) throw invalid("Number of items in AdditionalVersionWeights cannot be greater than 1");
    for (const [v, w] of entries) {
      if (w < 0 || w > 1) throw validation(`Value '{${v}=${w}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]`);
      if (v === version) throw invalid(`Invalid function version ${v}. Function version ${v} is already included in routing configuration.`);
    }
    if (entries.length && version === "$LATEST") throw invalid("$LATEST is not supported for an alias pointing to more than 1 version");
  }
}

async function getAlias(ctx: RequestContext, ref: FunctionRef, name: string): Promise<AliasRecord> {
  await getRecord(ctx, ref);
  const a = await tables(ctx.storage.metadata, scopeOf(ref)).aliases.get(aliasKey(ref.name, name));
  if (!a) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Cannot find alias arn: ${functionArn(ref, ref.name, name)}`, { Type: "User" });
  return a;
}

/** Publish $LATEST as the next version unless its code and configuration equal the last one's. */
async function publish(ctx: RequestContext, ref: FunctionRef, input: { CodeSha256?: string; Description?: string; RevisionId?: string } | undefined): Promise<FunctionConfiguration> {
  return ctx.storage.metadata.transaction(async (tx) => {
    const t = tables(tx, scopeOf(ref));
    const rec = await t.functions.get(ref.name);
    if (!rec) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `Function not found: ${functionArn(ref, ref.name)}`, { Type: "User" });
    if (input?.CodeSha256 !== undefined && input.CodeSha256 !== rec.code.sha256) {
      throw invalid(`CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${rec.code.sha256}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    if (input?.RevisionId !== undefined && input.RevisionId !== rec.config.RevisionId) {
      throw new ServiceError(LambdaErrors.PreconditionFailedException, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", { Type: "User" });
    }
    if (rec.lastVersion > 0) {
      const last = await t.versions.get(versionKey(ref.name, rec.lastVersion));
      const same = last && last.code.sha256 === rec.code.sha256 && fingerprint(last.config) === fingerprint(rec.config);
      if (same) return last.config;
    }
    const n = rec.lastVersion + 1;
    const config: FunctionConfiguration = { ...rec.config, Version: String(n), FunctionArn: functionArn(ref, ref.name, String(n)), RevisionId: randomUUID(), ...(input?.Description !== undefined ? { Description: input.Description } : {}) };
    await t.versions.put(versionKey(ref.name, n), { config, code: rec.code });
    await t.functions.put(ref.name, { ...rec, lastVersion: n });
    return config;
  });
}

function fingerprint(c: FunctionConfiguration): string {
  const { Runtime, Handler, Role, Timeout, MemorySize, Environment, EphemeralStorage, Architectures, Layers } = c;
  return createHash("sha256").update(JSON.stringify({ Runtime, Handler, Role, Timeout, MemorySize, Environment, EphemeralStorage, Architectures, ...(Layers?.length ? { Layers } : {}) })).digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Event source mappings (SQS; see event-source-mappings.ts)

function mappingOutput(m: MappingRecord, lastResult?: string) {
  const stream = isDynamoStreamArn(m.EventSourceArn);
  return {
    UUID: m.UUID,
    EventSourceArn: m.EventSourceArn,
    FunctionArn: m.FunctionArn,
    BatchSize: m.BatchSize,
    MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
    FunctionResponseTypes: m.FunctionResponseTypes,
    State: m.State,
    StateTransitionReason: m.StateTransitionReason,
    LastModified: new Date(m.LastModified),
    ...(m.ScalingConfig ? { ScalingConfig: m.ScalingConfig } : {}),
    ...(m.FilterCriteria?.Filters?.length ? { FilterCriteria: m.FilterCriteria } : {}),
    ...(stream
      ? {
          StartingPosition: m.StartingPosition,
          ParallelizationFactor: m.ParallelizationFactor ?? 1,
          MaximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds ?? -1,
          BisectBatchOnFunctionError: m.BisectBatchOnFunctionError ?? false,
          MaximumRetryAttempts: m.MaximumRetryAttempts ?? -1,
          TumblingWindowInSeconds: m.TumblingWindowInSeconds ?? 0,
          DestinationConfig: { OnFailure: m.DestinationConfig?.OnFailure?.Destination ? { Destination: m.DestinationConfig.OnFailure.Destination } : {} },
          LastProcessingResult: lastResult ?? "No records processed",
        }
      : {}),
  };
}

/** A mapping as Get/List/Update/Delete answer it (stream mappings with their last result). */
async function mappingView(ctx: RequestContext, m: MappingRecord) {
  if (!isDynamoStreamArn(m.EventSourceArn)) return mappingOutput(m);
  return mappingOutput(m, (await streamStates(ctx.storage.metadata, ctx.scope).get(m.UUID))?.lastResult);
}

type StreamInput = {
  StartingPosition?: string;
  ParallelizationFactor?: number;
  BisectBatchOnFunctionError?: boolean;
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  TumblingWindowInSeconds?: number;
  DestinationConfig?: { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } };
  FilterCriteria?: { Filters?: { Pattern?: string }[] };
};

/** Stream parameters, with the ranges AWS documents for DynamoDB event source mappings. */
function checkStreamNumbers(input: StreamInput): void {
  const range = (name: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (v < min || v > max)) throw validation(`Value '${v}' at '${name}' failed to satisfy constraint: Member must have value ${v < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`);
  };
  range("maximumRetryAttempts", input.MaximumRetryAttempts, -1, 10000);
  range("maximumRecordAgeInSeconds", input.MaximumRecordAgeInSeconds, -1, 604800);
  range("parallelizationFactor", input.ParallelizationFactor, 1, 10);
  range("tumblingWindowInSeconds", input.TumblingWindowInSeconds, 0, 900);
  const age = input.MaximumRecordAgeInSeconds;
  if (age !== undefined && age !== -1 && age < 60) throw invalid("MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800 seconds.");
  if (input.DestinationConfig?.OnSuccess?.Destination) throw invalid("Unsupported DestinationConfig parameter for given event source mapping type.");
}

/** Stream-only parameters on a queue mapping are refused, as AWS refuses them. */
function refuseStreamParameters(input: StreamInput): void {
  for (const key of ["StartingPosition", "ParallelizationFactor", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds", "DestinationConfig"] as const) {
    if (input[key] !== undefined) throw invalid(`Unsupported ${key} parameter for given event source mapping type.`);
  }
}

function checkMappingNumbers(batch: number | undefined, window: number | undefined, responseTypes: string[] | undefined, queue = true): void {
  if (batch !== undefined && (batch < 1 || batch > 10000)) throw validation(`Value '${batch}' at 'batchSize' failed to satisfy constraint: Member must have value ${batch < 1 ? "greater than or equal to 1" : "less than or equal to 10000"}`);
  if (window !== undefined && (window < 0 || window > 300)) throw validation(`Value '${window}' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value ${window < 0 ? "greater than or equal to 0" : "less than or equal to 300"}`);
  if (queue && batch !== undefined && batch > 10 && !window) throw invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  for (const t of responseTypes ?? []) if (t !== "ReportBatchItemFailures") throw validation(`Value '[${t}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]`);
}

async function getMapping(ctx: RequestContext, uuid: string): Promise<MappingRecord> {
  const m = await mappings(ctx.storage.metadata, ctx.scope).get(uuid);
  if (!m) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${ctx.requestId})`, { Type: "User" });
  return m;
}

Object.assign(handlers, {
  async CreateEventSourceMapping(ctx: RequestContext, input: CreateEventSourceMappingRequest) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const rec = await getRecord(ctx, ref);
    const source = input.EventSourceArn ?? "";
    const stream = isDynamoStreamArn(source);
    if (!stream && !/^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(source)) {
      throw invalid(source ? `Nimbus maps SQS queues and DynamoDB streams to functions so far; ${source} is neither.` : "Unrecognized event source, must be kafka or specify EventSourceArn.");
    }
    checkMappingNumbers(input.BatchSize, input.MaximumBatchingWindowInSeconds, input.FunctionResponseTypes, !stream);
    compileFilters(input.FilterCriteria);
    let checkpoint: string | undefined;
    if (stream) {
      const start = input.StartingPosition;
      if (start === undefined) throw invalid("StartingPosition is required for DynamoDB Streams event sources.");
      if (!["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"].includes(start)) throw validation(`Value '${start}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]`);
      if (start === "AT_TIMESTAMP") throw invalid("Unsupported starting position for DynamoDB Streams event source: AT_TIMESTAMP is supported for Amazon Kinesis only.");
      checkStreamNumbers(input);
      await checkStreamAccess(ctx.storage.metadata, rec.config.Role!, source);
      const dest = input.DestinationConfig?.OnFailure?.Destination;
      if (dest) await checkFailureDestination(ctx.storage.metadata, rec.config.Role!, dest);
      checkpoint = await startingCheckpoint(ctx.storage.metadata, source, start, ctx.clock.nowMs());
    } else {
      refuseStreamParameters(input);
    }
    const m: MappingRecord = {
      UUID: randomUUID(),
      EventSourceArn: source,
      FunctionArn: rec.config.FunctionArn!,
      FunctionName: ref.name,
      BatchSize: input.BatchSize ?? (stream ? 100 : 10),
      MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
      FunctionResponseTypes: input.FunctionResponseTypes ?? [],
      State: input.Enabled === false ? "Disabled" : "Enabled",
      LastModified: ctx.clock.nowMs(),
      StateTransitionReason: stream ? "User action" : "USER_INITIATED",
      ...(input.ScalingConfig ? { ScalingConfig: input.ScalingConfig } : {}),
      ...(input.FilterCriteria?.Filters?.length ? { FilterCriteria: { Filters: input.FilterCriteria.Filters.map((f) => ({ Pattern: f.Pattern ?? "" })) } } : {}),
      ...(stream
        ? {
            StartingPosition: input.StartingPosition!,
            ParallelizationFactor: input.ParallelizationFactor ?? 1,
            BisectBatchOnFunctionError: input.BisectBatchOnFunctionError ?? false,
            MaximumRetryAttempts: input.MaximumRetryAttempts ?? -1,
            MaximumRecordAgeInSeconds: input.MaximumRecordAgeInSeconds ?? -1,
            TumblingWindowInSeconds: input.TumblingWindowInSeconds ?? 0,
            ...(input.DestinationConfig?.OnFailure?.Destination ? { DestinationConfig: { OnFailure: { Destination: input.DestinationConfig.OnFailure.Destination } } } : {}),
          }
        : {}),
    };
    const existing = await mappings(ctx.storage.metadata, ctx.scope).list();
    const dup = existing.find((e) => e.value.EventSourceArn === source && e.value.FunctionName === ref.name);
    if (dup) {
      throw new ServiceError(
        LambdaErrors.ResourceConflictException,
        stream
          ? `The event source arn (" ${source} ") and function (" ${ref.name} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${dup.value.UUID}`
          : `An event source mapping with SQS arn (" ${source} ") and function (" ${ref.name} ") already exists. Please update or delete the existing mapping with UUID ${dup.value.UUID}`,
        { Type: "User" },
      );
    }
    if (stream) await streamStates(ctx.storage.metadata, ctx.scope).put(m.UUID, { streamArn: source, ...(checkpoint !== undefined ? { position: checkpoint } : {}), attempts: 0, lastResult: "No records processed" });
    await mappings(ctx.storage.metadata, ctx.scope).put(m.UUID, m);
    setLambdaEndpoint(ctx.storage.metadata, ctx.endpoint);
    return { ...mappingOutput(m), State: m.State === "Enabled" ? "Creating" : "Disabled" };
  },

  async GetEventSourceMapping(ctx: RequestContext, input: { UUID: string }) {
    return mappingView(ctx, await getMapping(ctx, input.UUID));
  },

  async ListEventSourceMappings(ctx: RequestContext, input: { EventSourceArn?: string; FunctionName?: string; Marker?: string; MaxItems?: number }) {
    let rows = (await mappings(ctx.storage.metadata, ctx.scope).list()).map((r) => r.value);
    if (input.EventSourceArn) rows = rows.filter((m) => m.EventSourceArn === input.EventSourceArn);
    if (input.FunctionName) {
      const ref = parseFunctionName(ctx, input.FunctionName);
      rows = rows.filter((m) => m.FunctionName === ref.name);
    }
    const start = input.Marker ? Number(input.Marker) : 0;
    const max = input.MaxItems ?? 100;
    const page = await Promise.all(rows.slice(start, start + max).map((m) => mappingView(ctx, m)));
    return { EventSourceMappings: page, ...(start + max < rows.length ? { NextMarker: String(start + max) } : {}) };
  },

  async UpdateEventSourceMapping(ctx: RequestContext, input: StreamInput & { UUID: string; Enabled?: boolean; BatchSize?: number; MaximumBatchingWindowInSeconds?: number; FunctionResponseTypes?: string[]; FunctionName?: string; ScalingConfig?: { MaximumConcurrency?: number } }) {
    const m = await getMapping(ctx, input.UUID);
    const stream = isDynamoStreamArn(m.EventSourceArn);
    checkMappingNumbers(input.BatchSize ?? m.BatchSize, input.MaximumBatchingWindowInSeconds ?? m.MaximumBatchingWindowInSeconds, input.FunctionResponseTypes, !stream);
    compileFilters(input.FilterCriteria);
    if (stream) {
      if (input.StartingPosition !== undefined) throw invalid("Unsupported StartingPosition parameter for UpdateEventSourceMapping.");
      checkStreamNumbers(input);
    } else {
      refuseStreamParameters(input);
    }
    const next: MappingRecord = {
      ...m,
      ...(input.BatchSize !== undefined ? { BatchSize: input.BatchSize } : {}),
      ...(input.MaximumBatchingWindowInSeconds !== undefined ? { MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds } : {}),
      ...(input.FunctionResponseTypes !== undefined ? { FunctionResponseTypes: input.FunctionResponseTypes } : {}),
      ...(input.Enabled !== undefined ? { State: input.Enabled ? "Enabled" : "Disabled" } : {}),
      ...(input.ScalingConfig ? { ScalingConfig: input.ScalingConfig } : {}),
      ...(input.ParallelizationFactor !== undefined ? { ParallelizationFactor: input.ParallelizationFactor } : {}),
      ...(input.BisectBatchOnFunctionError !== undefined ? { BisectBatchOnFunctionError: input.BisectBatchOnFunctionError } : {}),
      ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
      ...(input.MaximumRecordAgeInSeconds !== undefined ? { MaximumRecordAgeInSeconds: input.MaximumRecordAgeInSeconds } : {}),
      ...(input.TumblingWindowInSeconds !== undefined ? { TumblingWindowInSeconds: input.TumblingWindowInSeconds } : {}),
      LastModified: ctx.clock.nowMs(),
    };
    if (input.FilterCriteria !== undefined) {
      if (input.FilterCriteria.Filters?.length) next.FilterCriteria = { Filters: input.FilterCriteria.Filters.map((f) => ({ Pattern: f.Pattern ?? "" })) };
      else delete next.FilterCriteria;
    }
    if (input.DestinationConfig !== undefined) {
      const dest = input.DestinationConfig.OnFailure?.Destination;
      if (dest) {
        const rec = await getRecord(ctx, parseFunctionName(ctx, next.FunctionName));
        await checkFailureDestination(ctx.storage.metadata, rec.config.Role!, dest);
        next.DestinationConfig = { OnFailure: { Destination: dest } };
      } else delete next.DestinationConfig;
    }
    if (input.FunctionName) {
      const ref = parseFunctionName(ctx, input.FunctionName);
      const rec = await getRecord(ctx, ref);
      if (stream) await checkStreamAccess(ctx.storage.metadata, rec.config.Role!, m.EventSourceArn);
      next.FunctionName = ref.name;
      next.FunctionArn = rec.config.FunctionArn!;
    }
    await mappings(ctx.storage.metadata, ctx.scope).put(m.UUID, next);
    return { ...(await mappingView(ctx, next)), State: input.Enabled === undefined ? "Updating" : input.Enabled ? "Enabling" : "Disabling" };
  },

  async DeleteEventSourceMapping(ctx: RequestContext, input: { UUID: string }) {
    const m = await getMapping(ctx, input.UUID);
    const view = await mappingView(ctx, m);
    await mappings(ctx.storage.metadata, ctx.scope).delete(m.UUID);
    await streamStates(ctx.storage.metadata, ctx.scope).delete(m.UUID);
    return { ...view, State: "Deleting" };
  },
} satisfies Partial<LambdaOperations>);

// ---------------------------------------------------------------------------------------------
// Function URLs (served by function-urls.ts)

type UrlInput = { FunctionName: string; Qualifier?: string; AuthType?: string; Cors?: UrlConfig["Cors"]; InvokeMode?: string };

function checkUrlInput(input: UrlInput): void {
  if (input.AuthType !== undefined && input.AuthType !== "NONE" && input.AuthType !== "AWS_IAM") {
    throw validation(`Value '${input.AuthType}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`);
  }
  if (input.InvokeMode !== undefined && input.InvokeMode !== "BUFFERED" && input.InvokeMode !== "RESPONSE_STREAM") {
    throw validation(`Value '${input.InvokeMode}' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]`);
  }
  if (input.Qualifier !== undefined && /^\d+$/.test(input.Qualifier)) throw invalid("Function URLs can only be created for $LATEST or an alias.");
}

const urlOutput = (c: UrlConfig) => {
  const { urlId: _id, ...rest } = c;
  return rest;
};

Object.assign(handlers, {
  async CreateFunctionUrlConfig(ctx: RequestContext, input: UrlInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    const rec = await getRecord(ctx, ref);
    checkUrlInput(input);
    if (ref.qualifier && ref.qualifier !== "$LATEST") await getAlias(ctx, ref, ref.qualifier);
    const table = urlTable(ctx.storage.metadata, scopeOf(ref));
    const key = urlKey(ref.name, ref.qualifier);
    const now = ctx.clock.now().toISOString();
    const urlId = newUrlId();
    const cfg: UrlConfig = {
      FunctionUrl: functionUrl(ctx.endpoint, urlId, ref.region),
      FunctionArn: functionArn(ref, ref.name, ref.qualifier),
      AuthType: input.AuthType ?? "NONE",
      ...(input.Cors ? { Cors: input.Cors } : {}),
      CreationTime: now,
      LastModifiedTime: now,
      InvokeMode: input.InvokeMode ?? "BUFFERED",
      urlId,
    };
    if (!(await table.insert(key, cfg))) {
      throw new ServiceError(LambdaErrors.ResourceConflictException, `Failed to create function url config for [functionArn = ${rec.config.FunctionArn}]. Error message:  FunctionUrlConfig exists for this Lambda function`, { Type: "User" });
    }
    await indexUrl(ctx.storage.metadata, urlId, { account: ref.account, region: ref.region, name: ref.name, ...(ref.qualifier ? { qualifier: ref.qualifier } : {}) });
    const { LastModifiedTime: _m, ...created } = urlOutput(cfg);
    return created;
  },

  async GetFunctionUrlConfig(ctx: RequestContext, input: UrlInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await getRecord(ctx, ref);
    const cfg = await urlTable(ctx.storage.metadata, scopeOf(ref)).get(urlKey(ref.name, ref.qualifier));
    if (!cfg) throw new ServiceError(LambdaErrors.ResourceNotFoundException, "The resource you requested does not exist.", { Type: "User" });
    return urlOutput(cfg);
  },

  async UpdateFunctionUrlConfig(ctx: RequestContext, input: UrlInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await getRecord(ctx, ref);
    checkUrlInput(input);
    const table = urlTable(ctx.storage.metadata, scopeOf(ref));
    const cur = await table.get(urlKey(ref.name, ref.qualifier));
    if (!cur) throw new ServiceError(LambdaErrors.ResourceNotFoundException, "The resource you requested does not exist.", { Type: "User" });
    const next: UrlConfig = { ...cur, ...(input.AuthType ? { AuthType: input.AuthType } : {}), ...(input.Cors ? { Cors: input.Cors } : {}), ...(input.InvokeMode ? { InvokeMode: input.InvokeMode } : {}), LastModifiedTime: ctx.clock.now().toISOString() };
    await table.put(urlKey(ref.name, ref.qualifier), next);
    return urlOutput(next);
  },

  async DeleteFunctionUrlConfig(ctx: RequestContext, input: UrlInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await getRecord(ctx, ref);
    const table = urlTable(ctx.storage.metadata, scopeOf(ref));
    const cur = await table.get(urlKey(ref.name, ref.qualifier));
    if (!cur) throw new ServiceError(LambdaErrors.ResourceNotFoundException, "The resource you requested does not exist.", { Type: "User" });
    await table.delete(urlKey(ref.name, ref.qualifier));
    await indexUrl(ctx.storage.metadata, cur.urlId, undefined);
    return {};
  },

  async ListFunctionUrlConfigs(ctx: RequestContext, input: { FunctionName: string; Marker?: string; MaxItems?: number }) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    const rows = await urlTable(ctx.storage.metadata, scopeOf(ref)).list({ prefix: ref.name + "\u0000" });
    return { FunctionUrlConfigs: rows.map((r) => urlOutput(r.value)) };
  },
} satisfies Partial<LambdaOperations>);

// ---------------------------------------------------------------------------------------------
// Asynchronous invocation configuration (used by async-invoke.ts)

type EicInput = { FunctionName: string; Qualifier?: string; MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number; DestinationConfig?: EventInvokeConfig["DestinationConfig"] };

function checkEic(input: EicInput): void {
  const r = input.MaximumRetryAttempts;
  if (r !== undefined && (r < 0 || r > 2)) throw validation(`Value '${r}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value ${r < 0 ? "greater than or equal to 0" : "less than or equal to 2"}`);
  const a = input.MaximumEventAgeInSeconds;
  if (a !== undefined && (a < 60 || a > 21600)) throw validation(`Value '${a}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value ${a < 60 ? "greater than or equal to 60" : "less than or equal to 21600"}`);
  for (const d of [input.DestinationConfig?.OnSuccess?.Destination, input.DestinationConfig?.OnFailure?.Destination]) {
    if (d !== undefined && !/^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events|s3):/.test(d)) throw invalid(`The destination ARN ${d} is invalid.`);
  }
}

const eicOutput = (c: EventInvokeConfig) => ({ ...c, LastModified: new Date(c.LastModified) });

async function writeEic(ctx: RequestContext, input: EicInput, merge: boolean) {
  const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
  const rec = await getRecord(ctx, ref);
  if (ref.qualifier) await resolveQualified(ctx, ref, rec);
  checkEic(input);
  const table = eventInvokeConfigs(ctx.storage.metadata, scopeOf(ref));
  const key = eicKey(ref.name, ref.qualifier);
  const cur = await table.get(key);
  if (merge && !cur) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `The function ${functionArn(ref, ref.name, ref.qualifier ?? "$LATEST")} doesn't have an EventInvokeConfig`, { Type: "User" });
  const base = merge ? cur! : { FunctionArn: functionArn(ref, ref.name, ref.qualifier ?? "$LATEST"), LastModified: 0 };
  const next: EventInvokeConfig = {
    ...base,
    ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
    ...(input.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
    ...(input.DestinationConfig !== undefined ? { DestinationConfig: input.DestinationConfig } : {}),
    LastModified: ctx.clock.nowMs(),
  };
  if (!merge) next.DestinationConfig = input.DestinationConfig ?? { OnSuccess: {}, OnFailure: {} };
  await table.put(key, next);
  return eicOutput(next);
}

Object.assign(handlers, {
  PutFunctionEventInvokeConfig: (ctx: RequestContext, input: EicInput) => writeEic(ctx, input, false),
  UpdateFunctionEventInvokeConfig: (ctx: RequestContext, input: EicInput) => writeEic(ctx, input, true),
  async GetFunctionEventInvokeConfig(ctx: RequestContext, input: EicInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await getRecord(ctx, ref);
    const c = await eventInvokeConfigs(ctx.storage.metadata, scopeOf(ref)).get(eicKey(ref.name, ref.qualifier));
    if (!c) throw new ServiceError(LambdaErrors.ResourceNotFoundException, `The function ${functionArn(ref, ref.name, ref.qualifier ?? "$LATEST")} doesn't have an EventInvokeConfig`, { Type: "User" });
    return eicOutput(c);
  },
  async DeleteFunctionEventInvokeConfig(ctx: RequestContext, input: EicInput) {
    const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier);
    await getRecord(ctx, ref);
    if (!(await eventInvokeConfigs(ctx.storage.metadata, scopeOf(ref)).delete(eicKey(ref.name, ref.qualifier)))) {
      throw new ServiceError(LambdaErrors.ResourceNotFoundException, `The function ${functionArn(ref, ref.name, ref.qualifier ?? "$LATEST")} doesn't have an EventInvokeConfig`, { Type: "User" });
    }
    return {};
  },
  async ListFunctionEventInvokeConfigs(ctx: RequestContext, input: { FunctionName: string }) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    await getRecord(ctx, ref);
    const rows = await eventInvokeConfigs(ctx.storage.metadata, scopeOf(ref)).list({ prefix: ref.name + "\u0000" });
    return { FunctionEventInvokeConfigs: rows.map((r) => eicOutput(r.value)) };
  },
} satisfies Partial<LambdaOperations>);
