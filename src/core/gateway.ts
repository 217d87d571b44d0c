/**
 * The request path. Every AWS request goes through `Gateway.handle`:
 *
 *   route to service (credential scope, X-Amz-Target, Smithy-Protocol, host, Action, path)
 *   -> read body -> authenticate (SigV4) -> resolve operation -> parse input from the model
 *   -> authorize -> provider handler -> serialize output or error -> audit record -> response
 *
 * Nothing here knows any one service; services only supply handlers (see service.ts).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable, pipeline } from "node:stream";
import { codecs } from "../protocol/index.js";
import type { OperationModel, ProtocolName, ServiceModel } from "../protocol/model.js";
import type { ProtocolCodec, WireError, WireRequest, WireResponse } from "../protocol/types.js";
import { parseAuth, verify, createPayloadHashCheck, type ParsedSignature } from "../auth/sigv4.js";
import { createAwsChunkedDecoder, isAwsChunked } from "../auth/aws-chunked.js";
import { CommonErrors, ServiceError, isServiceError, type ErrorDef } from "./errors.js";
import type { FormUpload, FormUploadEnv, HttpHookEnv, Principal, RequestContext, WebsiteEnv } from "./service.js";
import type { Credential } from "./identity.js";
import type { ServiceRegistry, LoadedService } from "./registry.js";
import type { Runtime } from "./runtime.js";
import { GLOBAL_REGION } from "./regions.js";
import { redactInput, type AuditRecord } from "./audit.js";
import { validateInput } from "../protocol/validate.js";
import { Authorization } from "./authorization.js";
import { randomString } from "./random.js";

/** Largest body buffered in memory for a non-streaming operation. */
const MAX_BUFFERED_BODY = 128 * 1024 * 1024;
const DEFAULT_REGION = "us-east-1";

interface Routed {
  service: LoadedService;
  protocol: ProtocolName;
}

/** What a request's credential scope says, read cheaply before full parsing (for routing). */
function scopeOf(req: WireRequest): { region: string; service: string } | undefined {
  const auth = req.headers["authorization"];
  let credential: string | undefined;
  if (auth) {
    const m = /Credential=([^,\s]+)/.exec(auth);
    credential = m?.[1];
  } else if (req.rawQuery.includes("X-Amz-Credential")) {
    credential = req.query.find(([k]) => k === "X-Amz-Credential")?.[1];
  }
  if (!credential) return undefined;
  const parts = credential.split("/");
  if (parts.length < 5) return undefined;
  return { region: parts[parts.length - 3]!, service: parts[parts.length - 2]! };
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export { isLoopback };

export class Gateway {
  private readonly authorization: Authorization;
  /** Services with a `website` hook (S3 static website endpoints). */
  private readonly websites: LoadedService[];

  constructor(
    private readonly runtime: Runtime,
    private readonly registry: ServiceRegistry,
  ) {
    this.authorization = new Authorization(runtime);
    this.websites = registry.all().filter((s) => s.definition.website);
  }

  /** Whether a `/_nimbus/...` URL is a website endpoint's path form, which this gateway serves. */
  servesNimbusPath(url: string): boolean {
    return this.websites.some((s) => url.startsWith(s.definition.website!.pathPrefix));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const wire = toWireRequest(req);
    let routed: Routed | undefined;
    let opName: string | undefined;
    let ctx: RequestContext | undefined;
    let inputForAudit: Record<string, unknown> | undefined;
    let status = 500;
    let errorCode: string | undefined;
    let errorMessage: string | undefined;
    // The request as operations see it (S3: path-style), for the service's HTTP hooks.
    let hookWire: WireRequest = wire;
    let formUpload: FormUpload | undefined;
    try {
      // A static website request (S3 website endpoint): anonymous, answered whole by the hook.
      const site = this.websites.length ? this.websites.find((s) => s.definition.website!.matches(wire)) : undefined;
      if (site) {
        routed = { service: site, protocol: protocolFor(site, false) };
        opName = "Website";
        const env = this.websiteEnv(requestId, site, routed.protocol, req, wire, (c, op, input) => {
          ctx = c;
          opName = op;
          inputForAudit = input;
        });
        if (site.definition.website!.readsBody) wire.body = await readBody(req);
        const response = await site.definition.website!.serve(wire, env);
        status = response.status;
        if (!req.readableEnded) req.resume();
        await send(res, response, wire.method, requestId, site.name);
        return;
      }
      routed = this.route(wire);
      const { service, protocol } = routed;
      const codec = codecFor(protocol);
      const model = service.model();
      const signingName = service.signingName;

      // Rest protocols name the operation from method + path; the others need the body first.
      const rest = protocol === "rest-json" || protocol === "rest-xml";
      // Virtual-hosted S3 names the bucket in Host; operations are matched on the path-style
      // form, while the signature is checked against the path as sent.
      const opWire = service.name === "s3" ? withHostBucket(wire) : wire;
      hookWire = opWire;
      // A CORS preflight (an unsigned OPTIONS no model describes) is the service's to answer.
      if (wire.method === "OPTIONS" && service.definition.preflight) {
        const answer = await service.definition.preflight(opWire, this.hookEnv(requestId));
        if (answer) {
          opName = "OPTIONS";
          status = answer.status;
          if (!req.readableEnded) req.resume();
          await send(res, answer, wire.method, requestId, service.name);
          return;
        }
      }
      // An HTML form upload (S3 POST object) carries its signature in the form, not the headers.
      if (wire.method === "POST" && service.definition.formUpload && isUnsignedMultipartForm(wire)) {
        const env: FormUploadEnv = {
          ...this.hookEnv(requestId),
          credential: async (accessKeyId, sessionToken) => {
            const c = await this.credential(accessKeyId, sessionToken, signingName);
            return { principal: c.principal, secretAccessKey: c.secretAccessKey };
          },
        };
        formUpload = await service.definition.formUpload(opWire, req, env);
        if (formUpload) {
          opName = formUpload.operation;
          inputForAudit = formUpload.input;
          ctx = this.requestContext(requestId, service, opName, formUpload.region ?? DEFAULT_REGION, formUpload.principal, req, wire);
          await this.authorization.authorize(ctx, service, protocol, opName, formUpload.input);
          const response = await formUpload.run(ctx);
          status = response.status;
          if (routed.service.definition.decorateResponse) await this.decorate(routed, hookWire, response, requestId);
          await send(res, response, wire.method, requestId, service.name);
          return;
        }
      }
      let op: OperationModel | undefined;
      if (rest) op = this.resolve(codec, model, opWire, service);
      const streaming = op !== undefined && hasStreamingInput(model, op);

      const declaredHash = wire.headers["x-amz-content-sha256"];
      const chunked = isAwsChunked(wire);
      // Streaming payloads are never buffered; everything else is read whole (bounded).
      const streamBody = streaming && (declaredHash !== undefined || chunked);
      const bodyRead = !streamBody && !chunked;
      if (bodyRead) wire.body = await readBody(req);

      const auth = parseAuth(wire, { service: signingName, bodyRead });
      const principal = await this.authenticate(wire, auth, signingName, bodyRead);

      let requestTrailers: Promise<Record<string, string>> | undefined;
      if (chunked) {
        const decoder = createAwsChunkedDecoder(
          wire,
          auth.kind === "anonymous" ? undefined : { parsed: auth, secretAccessKey: principal.secret },
        );
        requestTrailers = decoder.trailers;
        // pipeline (not pipe) so that a client abort reaches the decoder and fails the upload.
        const decoded = pipeline(req, decoder, () => undefined);
        if (streamBody) wire.bodyStream = decoded;
        else wire.body = await readBody(decoded);
      } else if (streamBody) {
        wire.bodyStream =
          declaredHash && /^[0-9a-f]{64}$/i.test(declaredHash)
            ? pipeline(req, createPayloadHashCheck(declaredHash, { service: signingName }), () => undefined)
            : req;
      }

      if (!op) op = this.resolve(codec, model, opWire, service);
      opName = op.name;
      const region = auth.kind === "anonymous" ? DEFAULT_REGION : auth.region;
      ctx = this.requestContext(requestId, service, op.name, region, principal.principal, req, wire);
      if (requestTrailers) ctx.requestTrailers = requestTrailers;

      opWire.body = wire.body;
      if (wire.bodyStream) opWire.bodyStream = wire.bodyStream;
      const input = codec.parseInput(model, op, opWire);
      inputForAudit = input;
      validateInput(model, op, input, protocol);
      const authorizing = this.authorization.authorize(ctx, service, protocol, op.name, input);
      if (authorizing) await authorizing;

      const handler = service.definition.handlers[op.name];
      if (!handler) {
        throw new ServiceError(
          CommonErrors.NotImplemented,
          `${op.name} is not implemented in Nimbus for ${service.model().metadata.serviceId ?? service.name}.`,
        );
      }
      const pending = Promise.resolve(handler(ctx, input));
      const keepAlive = service.definition.keepAlive;
      let output: Record<string, unknown>;
      if (keepAlive?.operations.includes(op.name)) {
        const early = await settledWithin(pending, keepAlive.afterMs());
        if (!early.settled) {
          // Long-running: commit to 200 now and keep the connection busy (ServiceDefinition.keepAlive).
          const resolvedOp = op;
          const final = pending
            .then((out) => bodyText(codec.serializeOutput(model, resolvedOp, (out ?? {}) as Record<string, unknown>, { requestId, method: wire.method })))
            .catch((err: unknown) => {
              const wireError = toWireError(err, this.runtime);
              errorCode = wireError.code;
              errorMessage = wireError.message;
              return bodyText(renderError(routed, opName, wireError, requestId, wire));
            });
          const response: WireResponse = { status: 200, headers: { "content-type": "application/xml" }, body: keepAliveBody(final, keepAlive.everyMs()) };
          status = 200;
          if (service.definition.decorateResponse) await this.decorate(routed, hookWire, response, requestId);
          await send(res, response, wire.method, requestId, service.name);
          return;
        }
        output = (early.value ?? {}) as Record<string, unknown>;
      } else {
        output = ((await pending) ?? {}) as Record<string, unknown>;
      }
      const response = codec.serializeOutput(model, op, output, { requestId, method: wire.method });
      status = response.status;
      if (service.definition.decorateResponse) await this.decorate(routed, hookWire, response, requestId);
      await send(res, response, wire.method, requestId, service.name);
    } catch (err) {
      const wireError = toWireError(err, this.runtime);
      status = wireError.status;
      errorCode = wireError.code;
      errorMessage = wireError.message;
      if (res.headersSent) {
        // The failure came while streaming a response body: all that is honest is to cut it off.
        res.destroy();
        return;
      }
      formUpload?.abandon();
      const response = renderError(routed, opName, wireError, requestId, wire);
      await this.decorate(routed, hookWire, response, requestId);
      // Whatever of a request body was not read is dropped; the connection stays usable.
      if (!req.readableEnded) req.resume();
      await send(res, response, wire.method, requestId, routed?.service.name).catch(() => undefined);
    } finally {
      if (this.runtime.logger.enabled("info")) {
        const ms = performance.now() - started;
        this.runtime.logger.info(
          `${routed?.service.name ?? "-"} ${opName ?? "-"} ${status}${errorCode ? ` ${errorCode}` : ""} ${ms.toFixed(1)}ms ${requestId}`,
        );
      }
      if (this.runtime.audit.size > 0) {
        // The time's text and the redacted parameters are made only if a sink reads them:
        // CloudTrail drops most data-plane calls (S3 objects, DynamoDB items) unread.
        const nowMs = this.runtime.clock.nowMs();
        let time: string | undefined;
        let parameters: Record<string, unknown> | undefined | null = null;
        const auditService = routed?.service;
        const auditOp = opName;
        const auditInput = inputForAudit;
        const record: AuditRecord = {
          get time() {
            return (time ??= new Date(nowMs).toISOString());
          },
          requestId,
          principalArn: ctx?.principal.arn,
          accountId: ctx?.account,
          sourceIp: ctx?.sourceIp ?? normalizeIp(req.socket.remoteAddress),
          service: auditService?.name,
          operation: auditOp,
          region: ctx?.region,
          get parameters() {
            if (parameters === null) {
              parameters = auditService && auditOp && auditInput ? redactInput(auditService.model(), auditOp, auditInput) : undefined;
            }
            return parameters;
          },
          status,
          errorCode,
        };
        if (errorMessage !== undefined) record.errorMessage = errorMessage;
        if (ctx) record.principal = ctx.principal;
        const userAgent = req.headers["user-agent"];
        if (userAgent !== undefined) record.userAgent = String(userAgent);
        for (const sink of this.runtime.audit) {
          try {
            sink(record);
          } catch (e) {
            this.runtime.logger.warn(`audit sink failed: ${String(e)}`);
          }
        }
      }
    }
  }

  /** An access key's credential if it may sign now: known, active, session token matching, unexpired. */
  private async credential(accessKeyId: string, sessionToken: string | undefined, signingName: string): Promise<Credential> {
    const unknownKey = unknownKeyError(signingName);
    const credential = await this.runtime.identity.find(accessKeyId);
    if (!credential || credential.status !== "Active") throw new ServiceError(unknownKey.def, unknownKey.message);
    if (credential.sessionToken !== undefined || sessionToken !== undefined) {
      if (credential.sessionToken !== sessionToken) {
        throw new ServiceError(unknownKey.def, "The security token included in the request is invalid.");
      }
    }
    if (credential.expiration && Date.parse(credential.expiration) <= this.runtime.clock.nowMs()) {
      throw new ServiceError(CommonErrors.ExpiredToken, "The security token included in the request is expired");
    }
    return credential;
  }

  /** The request context handlers and authorization see. */
  private requestContext(
    requestId: string,
    service: LoadedService,
    operation: string,
    region: string,
    principal: Principal,
    req: IncomingMessage,
    wire: WireRequest,
  ): RequestContext {
    const account = principal.account ?? this.runtime.options.account;
    return {
      requestId,
      service: service.name,
      operation,
      account,
      region,
      principal,
      sourceIp: normalizeIp(req.socket.remoteAddress),
      secureTransport: false,
      endpoint: `http://${wire.headers["host"] ?? `${this.runtime.options.host}:${this.runtime.options.port}`}`,
      clock: this.runtime.clock,
      storage: this.runtime.storage,
      identity: this.runtime.identity,
      logger: this.runtime.logger,
      bus: this.runtime.bus,
      scope: { account, region: service.global ? GLOBAL_REGION : region, service: service.name },
    };
  }

  private hookEnv(requestId: string): HttpHookEnv {
    return { requestId, clock: this.runtime.clock, storage: this.runtime.storage, logger: this.runtime.logger, bus: this.runtime.bus };
  }

  /** What a `website` hook may do: run the service's operations for the anonymous visitor. */
  private websiteEnv(
    requestId: string,
    service: LoadedService,
    protocol: ProtocolName,
    req: IncomingMessage,
    wire: WireRequest,
    track: (ctx: RequestContext, operation: string, input: Record<string, unknown>) => void,
  ): WebsiteEnv {
    const codec = codecFor(protocol);
    const anonymous = (operation: string) =>
      this.requestContext(requestId, service, operation, DEFAULT_REGION, { type: "anonymous" }, req, wire);
    return {
      ...this.hookEnv(requestId),
      invoke: async (operation, opWire) => {
        const model = service.model();
        const op = model.operations[operation];
        if (!op) throw new ServiceError(CommonErrors.InternalFailure, `No operation ${operation} in ${service.name}.`);
        const ctx = anonymous(operation);
        const input = codec.parseInput(model, op, opWire);
        track(ctx, operation, input);
        validateInput(model, op, input, protocol);
        await this.authorization.authorize(ctx, service, protocol, operation, input);
        const handler = service.definition.handlers[operation];
        if (!handler) throw new ServiceError(CommonErrors.NotImplemented, `${operation} is not implemented in Nimbus.`);
        const output = ((await handler(ctx, input)) ?? {}) as Record<string, unknown>;
        return codec.serializeOutput(model, op, output, { requestId, method: opWire.method });
      },
      allowed: async (operation, input, as) => {
        try {
          const ctx = as ? this.requestContext(requestId, service, operation, as.region, as.principal, req, wire) : anonymous(operation);
          await this.authorization.authorize(ctx, service, protocol, operation, input);
          return true;
        } catch (e) {
          if (isServiceError(e) && e.status === 403) return false;
          throw e;
        }
      },
      authenticate: async (signed, signingName) => {
        const auth = parseAuth(signed, { service: signingName, bodyRead: true });
        if (auth.kind !== "anonymous" && auth.service !== signingName) {
          throw new ServiceError({ code: "InvalidSignatureException", status: 403 }, `Credential should be scoped to correct service: '${signingName}'.`);
        }
        return (await this.authenticate(signed, auth, signingName, true)).principal;
      },
    };
  }

  /** The service's `decorateResponse` hook, for a request that carries Origin (CORS headers). */
  private async decorate(routed: Routed | undefined, req: WireRequest, response: WireResponse, requestId: string): Promise<void> {
    const def = routed?.service.definition;
    if (!def?.decorateResponse || req.headers["origin"] === undefined || req.method === "OPTIONS") return;
    try {
      await def.decorateResponse(req, response, this.hookEnv(requestId));
    } catch (e) {
      // Extra headers must never cost the response itself.
      this.runtime.logger.warn(`decorating response ${requestId} failed: ${String(e)}`);
    }
  }

  /** Tell which service a request is for, the way AWS endpoints are told apart. */
  private route(req: WireRequest): Routed {
    const reg = this.registry;
    if (req.headers["smithy-protocol"] === "rpc-v2-cbor") {
      const m = /^\/service\/([^/]+)\/operation\/[^/]+$/.exec(req.path);
      const service = m ? reg.byServiceShapeName(decodeURIComponent(m[1]!)) : undefined;
      if (!service) throw new ServiceError(UNKNOWN_SERVICE, `No service at ${req.path}.`);
      return { service, protocol: "smithy-rpc-v2-cbor" };
    }
    const target = req.headers["x-amz-target"];
    if (target) {
      const prefix = target.slice(0, target.lastIndexOf("."));
      const service = reg.byTargetPrefix(prefix);
      if (!service) throw new ServiceError(CommonErrors.UnknownOperation, `Unknown target ${target}.`);
      return { service, protocol: "json" };
    }
    const scope = scopeOf(req);
    const formBody = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const hasAction = req.query.some(([k]) => k === "Action");
    if (scope) {
      const service = reg.bySigningName(scope.service, req.path);
      if (!service) {
        throw new ServiceError(
          CommonErrors.NotImplemented,
          `The service "${scope.service}" is not available in Nimbus.`,
        );
      }
      return { service, protocol: protocolFor(service, formBody || hasAction) };
    }
    // Unsigned: virtual-hosted S3, an Action for a query service (STS web identity), else S3 path style.
    const s3 = reg.byName("s3");
    if (s3 && isS3Host(req.hostname)) return { service: s3, protocol: "rest-xml" };
    if (formBody || hasAction) {
      const action = req.query.find(([k]) => k === "Action")?.[1];
      const service = action ? reg.byQueryAction(action) : reg.byName("sts");
      if (service) return { service, protocol: protocolFor(service, true) };
    }
    if (s3) return { service: s3, protocol: "rest-xml" };
    throw new ServiceError(CommonErrors.MissingAuthenticationToken, "Request is missing Authentication Token");
  }

  private resolve(codec: ProtocolCodec, model: ServiceModel, wire: WireRequest, service: LoadedService): OperationModel {
    const name = codec.resolveOperation(model, wire);
    const op = name ? model.operations[name] : undefined;
    if (op) return op;
    const protocol = codec.name;
    if (protocol === "query" || protocol === "ec2") {
      const action = wire.query.find(([k]) => k === "Action")?.[1] ?? formParam(wire.body, "Action");
      if (!action) throw new ServiceError(CommonErrors.MissingAction, "Missing Action");
      throw new ServiceError(
        CommonErrors.InvalidAction,
        `Could not find operation ${action} for version ${model.metadata.apiVersion ?? ""}`,
      );
    }
    if (protocol === "json" || protocol === "smithy-rpc-v2-cbor") {
      throw new ServiceError(CommonErrors.UnknownOperation, "");
    }
    if (service.name === "s3") {
      throw new ServiceError(
        { code: "MethodNotAllowed", status: 405 },
        "The specified method is not allowed against this resource.",
      );
    }
    throw new ServiceError(UNKNOWN_OPERATION_REST, `No operation matches ${wire.method} ${wire.path}`);
  }

  private async authenticate(
    wire: WireRequest,
    auth: ReturnType<typeof parseAuth>,
    signingName: string,
    bodyRead: boolean,
  ): Promise<{ principal: Principal; secret: string }> {
    if (auth.kind === "anonymous") return { principal: { type: "anonymous" }, secret: "" };
    const credential = await this.credential(auth.accessKeyId, auth.sessionToken, signingName);
    // Signing time is checked against the wall clock (clients sign with it), expiry of presigned
    // URLs against the injected clock so tests can make them expire by advancing it.
    const now = (auth as ParsedSignature).kind === "presigned" ? this.runtime.clock.now() : new Date();
    verify(wire, auth, credential.secretAccessKey, { now, service: signingName, bodyRead });
    const record = this.runtime.recordCredentialUse;
    if (record && credential.sessionToken === undefined) {
      // Last-used bookkeeping must never fail or slow the request it describes.
      record(auth.accessKeyId, signingName, auth.region, this.runtime.clock.now()).catch((e: unknown) =>
        this.runtime.logger.warn(`recording access key use failed: ${String(e)}`),
      );
    }
    return { principal: credential.principal, secret: credential.secretAccessKey };
  }

}

const UNKNOWN_SERVICE: ErrorDef = { code: "UnknownService", status: 400 };
const UNKNOWN_OPERATION_REST: ErrorDef = { code: "UnknownOperationException", status: 404 };

/** The error AWS gives for an access key it does not know, by service family. */
function unknownKeyError(signingName: string): { def: ErrorDef; message: string } {
  switch (signingName) {
    case "s3":
      return {
        def: CommonErrors.InvalidAccessKeyId,
        message: "The AWS Access Key Id you provided does not exist in our records.",
      };
    case "ec2":
      return {
        def: { code: "AuthFailure", status: 401 },
        message: "AWS was not able to validate the provided access credentials",
      };
    case "sts":
    case "iam":
    case "sns":
    case "monitoring":
    case "autoscaling":
    case "elasticloadbalancing":
    case "cloudformation":
    case "rds":
      return {
        def: CommonErrors.InvalidClientTokenId,
        message: "The security token included in the request is invalid.",
      };
    case "lambda":
      return {
        def: { code: "UnrecognizedClientException", status: 403 },
        message: "The security token included in the request is invalid.",
      };
    default:
      return {
        def: CommonErrors.UnrecognizedClientException,
        message: "The security token included in the request is invalid.",
      };
  }
}

function protocolFor(service: LoadedService, queryShaped: boolean): ProtocolName {
  const protocols = service.protocols;
  if (queryShaped) {
    const q = protocols.find((p) => p === "query" || p === "ec2");
    if (q) return q;
  }
  return protocols.find((p) => p === "rest-xml" || p === "rest-json") ?? protocols[0]!;
}

function codecFor(protocol: ProtocolName): ProtocolCodec {
  const codec = codecs[protocol];
  if (!codec) throw new ServiceError(CommonErrors.InternalFailure, `No codec for protocol ${protocol}`);
  return codec;
}

function isS3Host(hostname: string): boolean {
  return hostBucket(hostname) !== undefined || /^s3([.-][a-z0-9-]+)?\.localhost$/.test(hostname);
}

/**
 * The bucket a virtual-hosted-style Host names: `bucket.localhost`, `bucket.s3.localhost`,
 * `bucket.s3.<region>.localhost` (and `s3-<region>`); undefined for path-style hosts.
 */
export function hostBucket(hostname: string): string | undefined {
  if (!hostname.endsWith(".localhost")) return undefined;
  const labels = hostname.slice(0, -".localhost".length);
  const m = /^(.+?)\.s3(?:[.-][a-z0-9-]+)?$/.exec(labels);
  if (m) return m[1];
  if (/^s3([.-][a-z0-9-]+)?$/.test(labels)) return undefined;
  // One or more labels before .localhost with no s3 label: the whole prefix is the bucket.
  return labels;
}

function withHostBucket(wire: WireRequest): WireRequest {
  const bucket = hostBucket(wire.hostname);
  if (!bucket) return wire;
  return { ...wire, path: `/${encodeURIComponent(bucket)}${wire.path === "/" ? "" : wire.path}` };
}

/** A `multipart/form-data` request without header or query-string signature (an HTML form post). */
function isUnsignedMultipartForm(wire: WireRequest): boolean {
  if (!/^multipart\/form-data\s*;/i.test(wire.headers["content-type"] ?? "")) return false;
  return wire.headers["authorization"] === undefined && !wire.query.some(([k]) => k === "X-Amz-Credential" || k === "X-Amz-Signature");
}

function hasStreamingInput(model: ServiceModel, op: OperationModel): boolean {
  if (!op.input) return false;
  const shape = model.shapes[op.input.shape];
  const payload = shape?.payload;
  if (!payload) return false;
  const ref = shape.members?.[payload];
  if (!ref) return false;
  return ref.streaming === true || model.shapes[ref.shape]?.streaming === true;
}

function formParam(body: Buffer, name: string): string | undefined {
  if (body.length === 0) return undefined;
  return new URLSearchParams(body.toString("utf8")).get(name) ?? undefined;
}

export function toWireRequest(req: IncomingMessage): WireRequest {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? "" : url.slice(q + 1);
  const query: Array<[string, string]> = [];
  if (rawQuery) for (const [k, v] of new URLSearchParams(rawQuery)) query.push([k, v]);
  const headers: Record<string, string> = {};
  const incoming = req.headers;
  for (const k in incoming) {
    const v = incoming[k];
    if (v !== undefined) headers[k] = typeof v === "string" ? v : v.join(", ");
  }
  const host = headers["host"] ?? "";
  const hostname = (host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!).toLowerCase();
  return {
    method: req.method ?? "GET",
    path,
    rawQuery,
    query,
    headers,
    rawHeaders: req.rawHeaders,
    body: EMPTY,
    hostname,
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * The whole body, bounded. Events rather than an async iterator: most bodies are one small
 * chunk, and the iterator's machinery cost more than reading them.
 */
function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const readable = stream as Readable;
  if (readable.readableEnded) return Promise.resolve(EMPTY);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      readable.off("data", onData);
      readable.off("end", onEnd);
      readable.off("error", onError);
      readable.off("close", onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > MAX_BUFFERED_BODY) {
        cleanup();
        readable.pause();
        reject(new ServiceError({ code: "RequestEntityTooLarge", status: 413 }, `Request body exceeds ${MAX_BUFFERED_BODY} bytes.`));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // A stream destroyed before its end (a client abort) never ends: fail like the iterator did.
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    };
    readable.on("data", onData);
    readable.on("end", onEnd);
    readable.on("error", onError);
    readable.on("close", onClose);
  });
}

function normalizeIp(address: string | undefined): string {
  if (!address) return "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

function toWireError(err: unknown, runtime: Runtime): WireError {
  if (isServiceError(err)) return err;
  runtime.logger.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new ServiceError(CommonErrors.InternalFailure);
}

/** Render an error in the protocol of the service it was for (or a plain XML error before routing). */
function renderError(
  routed: Routed | undefined,
  opName: string | undefined,
  error: WireError,
  requestId: string,
  wire: WireRequest,
): WireResponse {
  const ctx = { requestId, method: wire.method };
  // awsQueryCompatible services keep their old codes for query-protocol clients.
  if (routed && (routed.protocol === "query" || routed.protocol === "ec2") && error.queryErrorCode) {
    error = { ...error, code: error.queryErrorCode, message: error.message };
  }
  if (routed) {
    const codec = codecs[routed.protocol];
    if (codec) {
      try {
        const model = routed.service.model();
        return codec.serializeError(model, opName ? model.operations[opName] : undefined, error, ctx);
      } catch {
        // fall through to the generic form
      }
    }
  }
  if (wire.headers["x-amz-target"]) {
    return {
      status: error.status,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  }
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return {
    status: error.status,
    headers: { "content-type": "text/xml" },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${error.senderFault ? "Sender" : "Receiver"}</Type>` +
      `<Code>${esc(error.code)}</Code><Message>${esc(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** The current time as an HTTP Date header, computed at most once per second of the wall clock. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateCache.second) {
    dateCache.second = second;
    dateCache.text = new Date(second * 1000).toUTCString();
  }
  return dateCache.text;
}

const dateCache = { second: -1, text: "" };

/** `p`'s value if it settles within `ms`; its rejection if it fails within `ms`. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<{ settled: true; value: T } | { settled: false }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ settled: false }), ms);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve({ settled: true, value });
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const XML_DECLARATION = /^\s*<\?xml[^>]*\?>\s*/;

/** A response body as text without its XML declaration (the keep-alive body has sent one). */
function bodyText(response: WireResponse): string {
  const body = response.body;
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? body.toString("utf8") : "";
  return text.replace(XML_DECLARATION, "");
}

/** The XML declaration at once, a space every `everyMs`, then `final`'s text. */
function keepAliveBody(final: Promise<string>, everyMs: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const body = new Readable({
    read() {},
    destroy(err, callback) {
      clearInterval(timer);
      callback(err);
    },
  });
  timer = setInterval(() => body.push(" "), everyMs);
  body.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  void final.then((text) => {
    clearInterval(timer);
    if (body.destroyed) return;
    body.push(text);
    body.push(null);
  });
  return body;
}

function send(
  res: ServerResponse,
  response: WireResponse,
  method: string,
  requestId: string,
  service: string | undefined,
): Promise<void> {
  const headers = response.headers;
  // Node would add Date itself, from a cache it resets with a timer every second.
  if (headers["date"] === undefined && headers["Date"] === undefined) headers["date"] = httpDate();
  if (service === "s3") {
    headers["x-amz-request-id"] ??= requestId.replace(/-/g, "").slice(0, 16).toUpperCase();
    headers["x-amz-id-2"] ??= randomString(24, "base64");
  } else {
    headers["x-amzn-requestid"] ??= requestId;
  }
  const body = response.body;
  return new Promise((resolve, reject) => {
    if (body instanceof Readable) {
      res.writeHead(response.status, headers);
      if (method === "HEAD") {
        body.destroy();
        res.end(resolve);
        return;
      }
      pipeline(body, res, (err) => (err ? reject(err) : resolve()));
      return;
    }
    // Bindings may name it Content-Length: one header either way.
    if (body !== undefined && headers["content-length"] === undefined && headers["Content-Length"] === undefined) {
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    res.writeHead(response.status, headers);
    if (method === "HEAD" || body === undefined) res.end(resolve);
    else res.end(body, resolve);
  });
}
