/**
 * AWS Lambda: functions from zip packages run for real as child processes speaking the Lambda
 * Runtime API (environments.ts), with versions, aliases, resource policies, reserved concurrency,
 * asynchronous invocation and the `lambda` delivery-bus target (async-invoke.ts), layers
 * (layers.ts) and provisioned concurrency (provisioned.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { LambdaOperations } from "../../generated/lambda.js";
import { functionPolicy, handlers, parseFunctionName, signCodeUrl } from "./provider.js";
import { drainLambdaQueue, lambdaBusTarget, startLambdaWorker, stopLambdaWorker } from "./async-invoke.js";
import { functionArn } from "./store.js";
import { functionUrlHook } from "./function-urls.js";
import { layerAuthorization, layerHandlers, layerPolicy } from "./layers.js";
import { provisionedHandlers, restoreProvisioned } from "./provisioned.js";

const unregister = new WeakMap<ServiceRuntime, () => void>();

/** The function a request names, as an IAM resource (qualified when `qualified`). */
const onFunction =
  (action?: string, qualified = false) =>
  (ctx: RequestContext, input: Record<string, unknown>) => {
    const raw = String(input.FunctionName ?? input.Resource ?? "");
    let ref;
    try {
      ref = parseFunctionName(ctx, raw, qualified && typeof input.Qualifier === "string" ? input.Qualifier : undefined);
    } catch {
      // The handler answers the malformed name with its own validation error.
      return { ...(action ? { action } : {}), resources: ["*"] };
    }
    return {
      ...(action ? { action } : {}),
      resources: [functionArn(ref, ref.name, qualified ? ref.qualifier : undefined)],
      ...(ref.account !== ctx.account ? { resourceAccount: ref.account } : {}),
    };
  };

export const lambda = defineService<LambdaOperations>({
  name: "lambda",
  handlers: { ...handlers, ...layerHandlers, ...provisionedHandlers },
  start(runtime) {
    const root = mkdtempSync(join(tmpdir(), "nimbus-lambda-"));
    startLambdaWorker(runtime, root);
    unregister.set(runtime, runtime.bus.register("lambda", lambdaBusTarget(runtime)));
    // Stored provisioned concurrency is allocated again in the background.
    restoreProvisioned(runtime).catch((e: unknown) => runtime.logger.warn(`lambda provisioned concurrency: ${String(e)}`));
  },
  async stop(runtime) {
    unregister.get(runtime)?.();
    await stopLambdaWorker(runtime);
  },
  website: functionUrlHook,
  resourcePolicy: (ctx, arn) => (/:layer:/.test(arn) ? layerPolicy(ctx.storage.metadata, arn) : functionPolicy(ctx.storage.metadata, arn)),
  async nimbusRoutes(req, runtime) {
    // Run every due asynchronous invocation to its end and write pending logs (tests, scripts).
    if (req.path === "drain" && req.method === "POST") {
      if (!req.loopback) return { status: 403, json: { error: "loopback only" } };
      await drainLambdaQueue(runtime.storage.metadata);
      return { status: 200, json: { drained: true } };
    }
    // Code.Location of GetFunction: the package, for a signed URL that has not expired.
    const m = /^code\/(\d{12})\/([^/]+)$/.exec(req.path);
    if (!m || req.method !== "GET") return undefined;
    const expires = Number(req.query.get("expires"));
    const path = `code/${m[1]}/${m[2]}`;
    if (!Number.isFinite(expires) || req.query.get("signature") !== signCodeUrl(path, expires) || expires * 1000 < runtime.clock.nowMs()) {
      return { status: 403, headers: { "content-type": "application/xml" }, body: "<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>" };
    }
    const blob = decodeURIComponent(m[2]!);
    const size = await runtime.storage.blobs.size(blob);
    if (size === undefined) return { status: 404, headers: { "content-type": "application/xml" }, body: "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>" };
    const chunks: Buffer[] = [];
    for await (const c of runtime.storage.blobs.get(blob)) chunks.push(c as Buffer);
    return { status: 200, headers: { "content-type": "application/zip" }, body: Buffer.concat(chunks) };
  },
  authorization: {
    CreateFunction: onFunction(),
    GetFunction: onFunction(),
    GetFunctionConfiguration: onFunction(),
    UpdateFunctionCode: onFunction(),
    UpdateFunctionConfiguration: onFunction(),
    DeleteFunction: onFunction(),
    PublishVersion: onFunction(),
    ListVersionsByFunction: onFunction(),
    CreateAlias: onFunction(),
    GetAlias: onFunction(),
    UpdateAlias: onFunction(),
    DeleteAlias: onFunction(),
    ListAliases: onFunction(),
    TagResource: onFunction(),
    UntagResource: onFunction(),
    ListTags: onFunction(),
    PutFunctionConcurrency: onFunction(),
    GetFunctionConcurrency: onFunction(),
    DeleteFunctionConcurrency: onFunction(),
    AddPermission: onFunction(),
    RemovePermission: onFunction(),
    GetPolicy: onFunction(),
    Invoke: onFunction("lambda:InvokeFunction", true),
    // AWS checks lambda:InvokeFunction for the streaming form too.
    InvokeWithResponseStream: onFunction("lambda:InvokeFunction", true),
    PutProvisionedConcurrencyConfig: onFunction(undefined, true),
    GetProvisionedConcurrencyConfig: onFunction(undefined, true),
    DeleteProvisionedConcurrencyConfig: onFunction(undefined, true),
    ListProvisionedConcurrencyConfigs: onFunction(),
    ...layerAuthorization,
    // Not an API operation: the function URL hook authorizes AWS_IAM requests with it.
    InvokeFunctionUrl: (ctx, input) => ({ ...onFunction("lambda:InvokeFunctionUrl", true)(ctx, input), context: { "lambda:FunctionUrlAuthType": "AWS_IAM" } }),
  },
});
