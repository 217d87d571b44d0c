/**
 * Provisioned concurrency: a configuration on a published version or an alias asks for a number
 * of environments started and initialised in advance. Put answers IN_PROGRESS and allocates in
 * the background (environments.ts `provision`); the configuration turns READY once that many
 * environments have finished init, or FAILED (FUNCTION_ERROR_INIT_FAILURE) when init fails. The
 * configurations are stored; after a restart they are allocated again.
 */
import { randomUUID } from "node:crypto";
import type { LambdaOperations } from "../../generated/lambda.js";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { LambdaErrors } from "./errors.js";
import { parseFunctionName, type FunctionRef } from "./provider.js";
import { executorOf, lambdaEndpoint, setLambdaEndpoint } from "./async-invoke.js";
import { aliasKey, functionArn, provisionedKey, SEP, tables, versionKey, type ProvisionedRecord } from "./store.js";

/** AWS's default account concurrency and the part that must stay unreserved. */
const ACCOUNT_CONCURRENCY = 1000;
const MIN_UNRESERVED = 100;

const validation = (message: string) => new ServiceError(LambdaErrors.ValidationException, `1 validation error detected: ${message}`);
const invalid = (message: string) => new ServiceError(LambdaErrors.InvalidParameterValueException, message, { Type: "User" });
const notFound = (message: string) => new ServiceError(LambdaErrors.ResourceNotFoundException, message, { Type: "User" });

const scopeOf = (ref: { account: string; region: string }): Scope => ({ account: ref.account, region: ref.region, service: "lambda" });
const ownerOf = (scope: Pick<Scope, "account" | "region">, name: string, qualifier: string) => `${scope.account}:${scope.region}:${name}:${qualifier}`;
const stamp = (ms: number) => new Date(ms).toISOString().replace("Z", "+0000");

function output(r: ProvisionedRecord) {
  return {
    RequestedProvisionedConcurrentExecutions: r.requested,
    AvailableProvisionedConcurrentExecutions: r.allocated,
    AllocatedProvisionedConcurrentExecutions: r.allocated,
    Status: r.status,
    ...(r.statusReason ? { StatusReason: r.statusReason } : {}),
    LastModified: stamp(r.lastModified),
  };
}

/** The qualified function a configuration names: it must exist, and not be $LATEST. */
async function target(ctx: RequestContext, input: { FunctionName: string; Qualifier: string }, latestMessage: string): Promise<{ ref: FunctionRef & { qualifier: string }; reserved?: number }> {
  if (input.Qualifier === "$LATEST") throw invalid(latestMessage);
  if (!/^[a-zA-Z0-9$_-]{1,128}$/.test(input.Qualifier)) throw validation(`Value '${input.Qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`);
  const ref = parseFunctionName(ctx, input.FunctionName, input.Qualifier) as FunctionRef & { qualifier: string };
  const t = tables(ctx.storage.metadata, scopeOf(ref));
  const rec = await t.functions.get(ref.name);
  if (!rec) throw notFound(`Function not found: ${functionArn(ref, ref.name)}`);
  if (/^\d+$/.test(ref.qualifier)) {
    if (!(await t.versions.get(versionKey(ref.name, ref.qualifier)))) throw notFound(`Function not found: ${functionArn(ref, ref.name, ref.qualifier)}`);
  } else if (!(await t.aliases.get(aliasKey(ref.name, ref.qualifier)))) {
    throw notFound(`Cannot find alias arn: ${functionArn(ref, ref.name, ref.qualifier)}`);
  }
  return { ref, ...(rec.reservedConcurrency !== undefined ? { reserved: rec.reservedConcurrency } : {}) };
}

/** The provisioned concurrency a function's configurations ask for in total. */
export async function provisionedTotal(ctx: RequestContext, ref: FunctionRef): Promise<number> {
  const rows = await tables(ctx.storage.metadata, scopeOf(ref)).provisioned.list({ prefix: ref.name + SEP });
  return rows.reduce((n, r) => n + r.value.requested, 0);
}

/**
 * Start (or resize) the environments of one configuration and record the outcome, unless a newer
 * Put or a Delete replaced the configuration meanwhile.
 */
async function allocate(metadata: MetadataStore, scope: Scope, name: string, qualifier: string, generation: string, endpoint: string): Promise<void> {
  const executor = executorOf(metadata);
  if (!executor) return;
  const t = tables(metadata, scope);
  const owner = ownerOf(scope, name, qualifier);
  const rec = await t.provisioned.get(provisionedKey(name, qualifier));
  if (!rec || rec.generation !== generation) return;
  let version = qualifier;
  if (!/^\d+$/.test(qualifier)) version = (await t.aliases.get(aliasKey(name, qualifier)))?.FunctionVersion ?? "";
  const v = /^\d+$/.test(version) ? await t.versions.get(versionKey(name, version)) : undefined;
  const fn = await t.functions.get(name);
  let failure: string | undefined;
  if (!v || !fn) failure = "Function not found";
  else {
    const result = await executor.provision(
      owner,
      {
        scope,
        config: v.config,
        code: v.code,
        version,
        invokedArn: functionArn(scope, name, qualifier),
        payload: Buffer.alloc(0),
        ...(fn.reservedConcurrency !== undefined ? { reservedConcurrency: fn.reservedConcurrency } : {}),
        endpoint,
      },
      rec.requested,
    );
    failure = result.failure;
  }
  if (failure) executor.release(owner);
  const gone = await metadata.transaction(async (tx) => {
    const table = tables(tx, scope).provisioned;
    const cur = await table.get(provisionedKey(name, qualifier));
    if (!cur) return true;
    if (cur.generation !== generation) return false;
    const next: ProvisionedRecord = failure
      ? { ...cur, status: "FAILED", statusReason: "FUNCTION_ERROR_INIT_FAILURE", allocated: 0 }
      : { ...cur, status: "READY", allocated: cur.requested };
    if (!failure) delete next.statusReason;
    await table.put(provisionedKey(name, qualifier), next);
    return false;
  });
  // Deleted while its environments started: they are not kept.
  if (gone) executor.release(owner);
}

/** Remove a configuration (its alias or version is going) and let its environments go. */
export async function dropProvisioned(ctx: RequestContext, ref: FunctionRef, qualifier: string): Promise<void> {
  await tables(ctx.storage.metadata, scopeOf(ref)).provisioned.delete(provisionedKey(ref.name, qualifier));
  executorOf(ctx.storage.metadata)?.release(ownerOf(ref, ref.name, qualifier));
}

function allocateLater(ctx: RequestContext, scope: Scope, name: string, qualifier: string, generation: string): void {
  allocate(ctx.storage.metadata, scope, name, qualifier, generation, ctx.endpoint).catch((e: unknown) => ctx.logger.warn(`lambda provisioned concurrency ${name}:${qualifier}: ${String(e)}`));
}

/** An alias moved to another version: its configuration's environments move with it. */
export async function reapplyProvisioned(ctx: RequestContext, ref: FunctionRef, alias: string): Promise<void> {
  const scope = scopeOf(ref);
  const table = tables(ctx.storage.metadata, scope).provisioned;
  const cur = await table.get(provisionedKey(ref.name, alias));
  if (!cur) return;
  const generation = randomUUID();
  await table.put(provisionedKey(ref.name, alias), { ...cur, generation, status: "IN_PROGRESS", allocated: 0 });
  allocateLater(ctx, scope, ref.name, alias, generation);
}

/** After a restart: allocate every stored configuration again. */
export async function restoreProvisioned(runtime: ServiceRuntime): Promise<void> {
  const metadata = runtime.storage.metadata;
  for (const scope of await metadata.scopes("lambda", "provisioned")) {
    for (const row of await tables(metadata, scope).provisioned.list()) {
      const r = row.value;
      if (r.status === "FAILED") continue;
      const name = row.key.split(SEP)[0]!;
      await allocate(metadata, scope, name, r.qualifier, r.generation, lambdaEndpoint(metadata)).catch((e: unknown) => runtime.logger.warn(`lambda provisioned concurrency ${name}:${r.qualifier}: ${String(e)}`));
    }
  }
}

export const provisionedHandlers: Partial<LambdaOperations> = {
  async PutProvisionedConcurrencyConfig(ctx, input) {
    const n = input.ProvisionedConcurrentExecutions;
    if (!Number.isInteger(n) || n < 1) throw validation(`Value '${n}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    const { ref, reserved } = await target(ctx, input, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
    const scope = scopeOf(ref);
    const t = tables(ctx.storage.metadata, scope);
    const own = (await t.provisioned.list({ prefix: ref.name + SEP })).map((r) => r.value).filter((r) => r.qualifier !== ref.qualifier);
    const aliases = (await t.aliases.list({ prefix: ref.name + SEP })).map((r) => r.value);
    if (/^\d+$/.test(ref.qualifier)) {
      const pointing = aliases.filter((a) => a.FunctionVersion === ref.qualifier && own.some((r) => r.qualifier === a.Name));
      if (pointing.length) throw new ServiceError(LambdaErrors.ResourceConflictException, "Version is pointed by a Provisioned Concurrency alias", { Type: "User" });
    } else {
      const alias = aliases.find((a) => a.Name === ref.qualifier)!;
      if (alias.FunctionVersion === "$LATEST") throw invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
      if (own.some((r) => r.qualifier === alias.FunctionVersion)) {
        throw new ServiceError(LambdaErrors.ResourceConflictException, "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version", { Type: "User" });
      }
    }
    const others = own.reduce((sum, r) => sum + r.requested, 0);
    if (reserved !== undefined && reserved < others + n) throw invalid("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function");
    if (reserved === undefined) {
      // Provisioned concurrency of a function without a reservation comes out of the account's unreserved pool.
      let reservedSum = 0;
      let unreservedProvisioned = others;
      for (const f of await t.functions.list()) {
        if (f.value.reservedConcurrency !== undefined) reservedSum += f.value.reservedConcurrency;
        else if (f.key !== ref.name) for (const p of await t.provisioned.list({ prefix: f.key + SEP })) unreservedProvisioned += p.value.requested;
      }
      if (n > ACCOUNT_CONCURRENCY) throw invalid(`Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${ACCOUNT_CONCURRENCY}].`);
      if (ACCOUNT_CONCURRENCY - reservedSum - unreservedProvisioned - n < MIN_UNRESERVED) {
        throw invalid(`Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`);
      }
    }
    const record: ProvisionedRecord = { qualifier: ref.qualifier, requested: n, lastModified: ctx.clock.nowMs(), generation: randomUUID(), status: "IN_PROGRESS", allocated: 0 };
    await t.provisioned.put(provisionedKey(ref.name, ref.qualifier), record);
    setLambdaEndpoint(ctx.storage.metadata, ctx.endpoint);
    allocateLater(ctx, scope, ref.name, ref.qualifier, record.generation);
    return output(record);
  },

  async GetProvisionedConcurrencyConfig(ctx, input) {
    const { ref } = await target(ctx, input, "The function resource provided must be an alias or a published version.");
    const r = await tables(ctx.storage.metadata, scopeOf(ref)).provisioned.get(provisionedKey(ref.name, ref.qualifier));
    if (!r) throw new ServiceError(LambdaErrors.ProvisionedConcurrencyConfigNotFoundException, "No Provisioned Concurrency Config found for this function", { Type: "User" });
    return output(r);
  },

  async ListProvisionedConcurrencyConfigs(ctx, input) {
    const ref = parseFunctionName(ctx, input.FunctionName);
    const t = tables(ctx.storage.metadata, scopeOf(ref));
    if (!(await t.functions.get(ref.name))) throw notFound(`Function not found: ${functionArn(ref, ref.name)}`);
    const max = input.MaxItems ?? 50;
    if (max < 1 || max > 50) throw validation(`Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    const rows = await t.provisioned.list({ prefix: ref.name + SEP, ...(input.Marker ? { after: provisionedKey(ref.name, input.Marker) } : {}), limit: max + 1 });
    const page = rows.slice(0, max).map((r) => r.value);
    return {
      ProvisionedConcurrencyConfigs: page.map((r) => ({ FunctionArn: functionArn(ref, ref.name, r.qualifier), ...output(r) })),
      ...(rows.length > max ? { NextMarker: page[page.length - 1]!.qualifier } : {}),
    };
  },

  async DeleteProvisionedConcurrencyConfig(ctx, input) {
    const { ref } = await target(ctx, input, "The function resource provided must be an alias or a published version.");
    // Deleting a configuration that is not there succeeds, as on AWS.
    await tables(ctx.storage.metadata, scopeOf(ref)).provisioned.delete(provisionedKey(ref.name, ref.qualifier));
    executorOf(ctx.storage.metadata)?.release(ownerOf(ref, ref.name, ref.qualifier));
    return {};
  },
};
