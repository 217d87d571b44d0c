/**
 * The Nimbus process: opens storage, builds the runtime, and serves HTTP. Requests under
 * `/_nimbus/` are Nimbus's own (health, reset, clock); everything else is an AWS request for the
 * gateway. Underscores cannot appear in bucket names, so `/_nimbus/` never collides with S3.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { openStorage, type Durability } from "./storage/index.js";
import { SystemClock, type Clock } from "./core/clock.js";
import { Logger, type LogLevel } from "./core/logger.js";
import { IdentityStore, DEFAULT_ACCOUNT } from "./core/identity.js";
import { AccountStore, AccountError } from "./core/accounts.js";
import { Gateway, isLoopback } from "./core/gateway.js";
import { ServiceRegistry } from "./core/registry.js";
import type { Runtime } from "./core/runtime.js";
import { iamModeFromEnv, type IamMode } from "./core/authorization.js";
import type { AuditSink } from "./core/audit.js";
import { DeliveryBus } from "./core/bus.js";
import type { ServiceDefinition, ServiceRuntime } from "./core/service.js";
import { SERVICES } from "./services/index.js";
import { VERSION } from "./version.js";
import { CONSOLE_PREFIX, ConsoleServer, rootPasswordToSet, setRootPassword } from "./console/index.js";

export interface NimbusOptions {
  /** Port to listen on; 0 picks a free one. Default 4566 (env NIMBUS_PORT). */
  port?: number;
  /** Address to bind. Default 127.0.0.1 (env NIMBUS_HOST). */
  host?: string;
  /** Where state lives. Default ./.nimbus (env NIMBUS_DATA_DIR). */
  dataDir?: string;
  /** Keep state in a temporary directory that is removed on stop. */
  ephemeral?: boolean;
  logLevel?: LogLevel;
  /** The default account and its root user's keys. Default 000000000000, test / test. */
  account?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** "full" (default) fsyncs every acknowledged write; "normal" trades power-loss safety for speed. */
  durability?: Durability;
  /** Receives a record of every request (principal, operation, redacted parameters, outcome). */
  onAudit?: AuditSink;
  /** Replace the clock (tests). */
  clock?: Clock;
  /** "enforce" (default; env NIMBUS_IAM) denies what IAM policies do not allow; "soft" only logs it. */
  iam?: IamMode;
  /** Serve only these services (default: all). */
  services?: readonly ServiceDefinition[];
  /**
   * The default account's root console password (env NIMBUS_ROOT_PASSWORD). When none is given
   * and none was ever set, one is generated and logged once.
   */
  rootPassword?: string;
}

export interface Nimbus {
  /** e.g. `http://127.0.0.1:4566` */
  endpoint: string;
  port: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  clock: Clock;
  /** Service-to-service deliveries of this instance (in-process tests may register targets). */
  bus: DeliveryBus;
  addAuditSink(sink: AuditSink): () => void;
  stop(): Promise<void>;
}

/** A service route's request body (at most 10 MiB). */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 10 * 1024 * 1024) throw new Error("request body over 10 MiB");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new Error("admin request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function startNimbus(options: NimbusOptions = {}): Promise<Nimbus> {
  const env = process.env;
  const port = options.port ?? (env.NIMBUS_PORT ? Number(env.NIMBUS_PORT) : 4566);
  const host = options.host ?? env.NIMBUS_HOST ?? "127.0.0.1";
  const logger = new Logger(options.logLevel ?? "info");
  const ephemeral = options.ephemeral === true;
  const dataDir = ephemeral
    ? await mkdtemp(join(tmpdir(), "nimbus-"))
    : resolve(options.dataDir ?? env.NIMBUS_DATA_DIR ?? ".nimbus");
  const credentials = options.credentials ?? { accessKeyId: "test", secretAccessKey: "test" };
  const account = options.account ?? DEFAULT_ACCOUNT;

  const storage = await openStorage({ dataDir, durability: options.durability });
  const identity = new IdentityStore(storage.metadata);
  const clock = options.clock ?? new SystemClock();
  const accounts = new AccountStore(storage.metadata, identity);
  await accounts.ensureDefault(account, credentials.accessKeyId, credentials.secretAccessKey, clock.now());
  const rootPassword = options.rootPassword ?? env.NIMBUS_ROOT_PASSWORD;
  // The root user's console password: a generated one is printed at once, and its scrypt hash
  // is stored on the thread pool while the services start; console requests wait for it.
  const announceRootPassword = async (): Promise<{ stored: Promise<void> }> => {
    const plan = await rootPasswordToSet(storage.metadata, account, rootPassword);
    if (!plan) return { stored: Promise.resolve() };
    if (plan.generated) {
      const root = await accounts.get(account);
      logger.info(`Console sign-in for the root user ${root?.email ?? ""}: password ${plan.password} (shown once; change it with \`nimbus root-password\`)`);
    }
    const stored = setRootPassword(storage.metadata, account, plan.password, clock.now());
    stored.catch((e: unknown) => logger.error(`storing the root password failed: ${String(e)}`));
    return { stored };
  };
  let rootPasswordReady = (await announceRootPassword()).stored;

  const runtime: Runtime = {
    options: { host, port, account },
    clock,
    logger,
    storage,
    identity,
    audit: new Set(options.onAudit ? [options.onAudit] : []),
    bus: new DeliveryBus(),
    iamMode: options.iam ?? iamModeFromEnv(env.NIMBUS_IAM),
  };
  const registry = new ServiceRegistry(options.services ?? SERVICES);
  // One object for every service's start and stop, so a service can tell its instances apart.
  const serviceRuntime: ServiceRuntime = {
    clock: runtime.clock,
    storage,
    identity,
    logger,
    bus: runtime.bus,
    setPolicyDecider: (decider) => {
      runtime.decider = decider;
    },
    setCredentialUseRecorder: (recorder) => {
      runtime.recordCredentialUse = recorder;
    },
    addAuditSink: (sink) => {
      runtime.audit.add(sink);
      return () => runtime.audit.delete(sink);
    },
  };
  for (const svc of registry.all()) await svc.definition.start?.(serviceRuntime);
  const gateway = new Gateway(runtime, registry);
  const consoleServer = new ConsoleServer({ metadata: storage.metadata, identity, accounts, clock, logger });

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const loopbackOnly = () => {
      if (isLoopback(req.socket.remoteAddress)) return true;
      json(403, { error: "Forbidden", message: "Only requests from loopback may do this." });
      return false;
    };
    if (path === "/_nimbus/health" && (req.method === "GET" || req.method === "HEAD")) {
      const services: Record<string, string> = {};
      for (const svc of registry.all()) {
        services[svc.name] = Object.keys(svc.definition.handlers).length > 0 ? "available" : "not-implemented";
      }
      return json(200, { status: "ready", version: VERSION, services });
    }
    if (path === "/_nimbus/reset" && req.method === "POST") {
      if (!loopbackOnly()) return;
      for (const svc of registry.all()) await svc.definition.reset?.(serviceRuntime);
      await storage.metadata.reset();
      await storage.blobs.reset();
      identity.clearCache();
      await accounts.ensureDefault(account, credentials.accessKeyId, credentials.secretAccessKey, clock.now());
      rootPasswordReady = (await announceRootPassword()).stored;
      await rootPasswordReady;
      return json(200, { status: "reset" });
    }
    if (path === "/_nimbus/accounts") {
      if (!loopbackOnly()) return;
      if (req.method === "GET") return json(200, { accounts: await accounts.list() });
      if (req.method === "POST") {
        let body: { email?: unknown; name?: unknown };
        try {
          body = JSON.parse((await readText(req)) || "{}") as typeof body;
        } catch {
          return json(400, { error: "BadRequest", message: 'Body must be JSON: {"email": "...", "name": "..."}' });
        }
        try {
          return json(201, await accounts.create(body, clock.now()));
        } catch (e) {
          if (e instanceof AccountError) return json(e.status, { error: e.status === 409 ? "Conflict" : "BadRequest", message: e.message });
          throw e;
        }
      }
    }
    if (path === "/_nimbus/clock") {
      if (req.method === "GET") return json(200, { now: runtime.clock.now().toISOString() });
      if (req.method === "POST") {
        if (!loopbackOnly()) return;
        let seconds: unknown;
        try {
          seconds = (JSON.parse((await readText(req)) || "{}") as { advanceSeconds?: unknown })
            .advanceSeconds;
        } catch {
          return json(400, { error: "BadRequest", message: "Body must be JSON: {\"advanceSeconds\": N}" });
        }
        if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
          return json(400, { error: "BadRequest", message: "advanceSeconds must be a non-negative number" });
        }
        runtime.clock.advance(seconds);
        return json(200, { now: runtime.clock.now().toISOString() });
      }
    }
    if (path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`)) {
      await rootPasswordReady;
      return consoleServer.handle(req, res, path);
    }
    // A service's own routes: /_nimbus/<service>/<rest>.
    const routed = /^\/_nimbus\/([a-z0-9-]+)\/(.*)$/.exec(path);
    const owner = routed ? registry.all().find((s) => s.name === routed[1] && s.definition.nimbusRoutes) : undefined;
    if (routed && owner) {
      const url = new URL(req.url ?? "/", "http://localhost");
      const body = req.method === "GET" || req.method === "HEAD" ? Buffer.alloc(0) : await readBody(req);
      const answer = await owner.definition.nimbusRoutes!(
        { method: req.method ?? "GET", path: routed[2]!, query: url.searchParams, headers: req.headers, body, loopback: isLoopback(req.socket.remoteAddress) },
        serviceRuntime,
      );
      if (answer) {
        if (answer.json !== undefined) {
          const text = JSON.stringify(answer.json);
          res.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...answer.headers });
          res.end(text);
        } else {
          const bytes = typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body ?? Buffer.alloc(0);
          res.writeHead(answer.status, { "content-length": bytes.length, ...answer.headers });
          res.end(req.method === "HEAD" ? undefined : bytes);
        }
        return;
      }
    }
    return json(404, { error: "NotFound", message: `No Nimbus route ${req.method} ${path}` });
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? "/";
    // Website endpoints' path forms (/_nimbus/s3-website/...) are AWS-shaped requests: the gateway's.
    if (url.startsWith("/_nimbus/") && !gateway.servesNimbusPath(url)) {
      const q = url.indexOf("?");
      admin(req, res, q === -1 ? url : url.slice(0, q)).catch((err: unknown) => {
        logger.error(`admin route failed: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    void gateway.handle(req, res);
  });
  // Large uploads may take long; the keep-alive timeout above still reaps idle sockets.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const endpointHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const endpoint = `http://${endpointHost}:${actualPort}`;
  runtime.options.port = actualPort;
  logger.info(`Nimbus ${VERSION} ready on ${endpoint} (data: ${ephemeral ? "ephemeral" : dataDir})`);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: actualPort,
    region: "us-east-1",
    credentials: { ...credentials },
    dataDir,
    clock: runtime.clock,
    bus: runtime.bus,
    addAuditSink(sink) {
      runtime.audit.add(sink);
      return () => runtime.audit.delete(sink);
    },
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        for (const svc of registry.all()) await svc.definition.stop?.(serviceRuntime);
        await rootPasswordReady.catch(() => undefined);
        await storage.close();
        if (ephemeral) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
