/**
 * What a service is to the core: a name (its entry in models/services.json) and typed handlers
 * `(ctx, input) => output`. Handlers never see HTTP; the gateway parses, authenticates,
 * authorizes and serializes around them.
 */
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { BlobStore, MetadataStore, Scope } from "../storage/types.js";
import type { IdentityStore } from "./identity.js";
import type { AuditSink } from "./audit.js";
import type { PolicyDecider } from "./authorization.js";
import type { WireRequest, WireResponse } from "../protocol/types.js";
import type { Readable } from "node:stream";
import type { DeliveryBus } from "./bus.js";

/** What temporary (STS) credentials carry about the session that made them. */
export interface SessionInfo {
  /** ISO time the credentials were issued. */
  issued: string;
  /** The session was created with an MFA code (aws:MultiFactorAuthPresent). */
  mfaAuthenticated?: boolean;
  /** ISO time of that MFA authentication (aws:MultiFactorAuthAge). */
  mfaAuthTime?: string;
  /** Session policies (JSON texts) that further limit the session's permissions. */
  sessionPolicies?: string[];
  /** Session tags (aws:PrincipalTag/*). */
  tags?: Record<string, string>;
  sourceIdentity?: string;
}

export type Principal =
  | {
      type: "root";
      account: string;
      arn: string;
      userId: string;
      accessKeyId: string;
      session?: SessionInfo;
    }
  | {
      type: "user";
      account: string;
      arn: string;
      userId: string;
      userName: string;
      accessKeyId: string;
      /** Present when the key is a GetSessionToken credential of this user. */
      session?: SessionInfo;
    }
  | {
      type: "assumed-role";
      account: string;
      arn: string;
      userId: string;
      roleArn: string;
      /** The role's unique id (AROA...). */
      roleId: string;
      sessionName: string;
      accessKeyId: string;
      session: SessionInfo;
    }
  | { type: "anonymous"; account?: undefined; arn?: undefined };

export interface Storage {
  metadata: MetadataStore;
  blobs: BlobStore;
}

export interface RequestContext {
  requestId: string;
  service: string;
  operation: string;
  /** The account whose resources the request acts on (the caller's account). */
  account: string;
  /** The signing region (or the service's default region for anonymous requests). */
  region: string;
  principal: Principal;
  sourceIp: string;
  /** Whether the request arrived over TLS (aws:SecureTransport). */
  secureTransport: boolean;
  /** Base URL clients used to reach Nimbus, e.g. `http://127.0.0.1:4566` (for URLs in responses). */
  endpoint: string;
  clock: Clock;
  storage: Storage;
  /** The credential table (shared, cached): write access keys and sessions only through it. */
  identity: IdentityStore;
  logger: Logger;
  /** Deliveries to other services' resources (S3 events to queues, SNS fan-out, ...). */
  bus: DeliveryBus;
  /** Where this service keeps state for this request (global services use region aws-global). */
  scope: Scope;
  /**
   * For an aws-chunked request body: its trailing headers (lower-case names, e.g.
   * `x-amz-checksum-crc32`), resolved once the whole body has been read and verified, rejected
   * when the body fails. Absent for any other body.
   */
  requestTrailers?: Promise<Record<string, string>>;
}

// Inputs and outputs are typed per service by the generated types (src/generated/<service>.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each service narrows this with its generated operation map
export type Handler<I = any, O = any> = (ctx: RequestContext, input: I) => Promise<O> | O;

/** Condition-key values as the policy engine reads them. */
export type ConditionValue = string | string[] | number | boolean | Date | undefined;

/** What an operation does in IAM's terms: its action, the resources it touches, extra keys. */
export interface AuthorizationFacts {
  /** The IAM action when it is not `<prefix>:<Operation>` (e.g. S3 ListObjectsV2 -> s3:ListBucket). */
  action?: string;
  /** Resource ARNs; default `["*"]`. */
  resources?: string[];
  /** The account owning the resources when it may differ from the caller's (cross-account). */
  resourceAccount?: string;
  /** Service-specific condition keys (e.g. `s3:prefix`) and request tags. */
  context?: Record<string, ConditionValue>;
  /** How to read the resource policy: a role's trust policy is "trust". */
  resourcePolicyKind?: "resource" | "trust";
  /** Whether only the resource policy can grant (role trust policies). */
  requireResourcePolicy?: boolean;
  /** Further actions the request also needs (S3 s3:BypassGovernanceRetention with its header). */
  alsoRequires?: Array<{ action: string; resources: string[] }>;
}

export interface ServiceDefinition {
  /** The key of the service in models/services.json (e.g. "sts", "s3"). */
  name: string;
  handlers: Record<string, Handler | undefined>;
  /** The IAM action prefix when it differs from the signing name (CloudWatch: "cloudwatch"). */
  iamPrefix?: string;
  /** Per operation: its IAM action, resources and condition keys (default: `<prefix>:<Op>` on "*"). */
  authorization?: Record<string, ((ctx: RequestContext, input: Record<string, unknown>) => AuthorizationFacts | Promise<AuthorizationFacts>) | undefined>;
  /** Operations that need no permission at all (STS GetCallerIdentity). */
  noPermissionRequired?: readonly string[];
  /** Operations the resource owner's root user may always call, whatever resource policies say. */
  rootAlwaysAllowed?: readonly string[];
  /** Whether resource policies may grant unsigned requests (`"Principal": "*"`), as in S3. */
  anonymousByResourcePolicy?: boolean;
  /** The resource-based policy (JSON text) on a resource, for services that have them. */
  resourcePolicy?(ctx: RequestContext, resourceArn: string): Promise<string | undefined>;
  /** Operations that an unsigned (anonymous) request may call, e.g. STS AssumeRoleWithWebIdentity. */
  anonymousOperations?: readonly string[];
  /**
   * HTTP-level hooks for what a service model cannot express (S3 CORS). `preflight` answers an
   * `OPTIONS` request routed to the service before authentication (browsers send CORS
   * preflights unsigned); undefined lets the request go on as usual. `decorateResponse` may add
   * headers to the response (success or error) of any other request that carries an `Origin`
   * header. The request is the one operations are matched on (S3: path-style).
   */
  preflight?(req: WireRequest, env: HttpHookEnv): Promise<WireResponse | undefined>;
  decorateResponse?(req: WireRequest, res: WireResponse, env: HttpHookEnv): Promise<void>;
  /**
   * An HTML form upload no model describes (S3 POST object): the gateway offers every unsigned
   * `POST` with a `multipart/form-data` body to this hook before normal routing. The hook reads
   * the form up to the file (never buffering the file), authenticates the form's own signature
   * with `env.credential`, and returns the operation the request amounts to; the gateway then
   * authorizes that operation for the principal exactly as for a signed request and calls `run`.
   * Undefined (decided without reading the body) lets the request go on as usual.
   */
  formUpload?(req: WireRequest, body: Readable, env: FormUploadEnv): Promise<FormUpload | undefined>;
  /**
   * Static website hosting no model describes (S3 website endpoints): a request the hook's
   * `matches` claims (by its Host, or by a path under the hook's `pathPrefix` below `/_nimbus/`)
   * skips operation routing and SigV4; `serve` answers it whole (errors included, in its own
   * format), reading resources only through `env.invoke`, which runs operations for the anonymous
   * visitor through the usual parse -> authorize -> handler -> serialize path.
   */
  website?: WebsiteHook;
  /**
   * Operations that may answer "200 OK" before they finish, as S3 does for
   * CompleteMultipartUpload, CopyObject and UploadPartCopy so that long ones do not hit a
   * client's read timeout: when the handler has not settled after `afterMs()`, the gateway sends
   * the success status and the XML declaration, then a space every `everyMs()`, and at the end
   * the output's body — or the error's: clients of these operations look for an error document
   * in a 200 answer. Output members bound to headers cannot follow once the status is sent.
   */
  keepAlive?: { operations: readonly string[]; afterMs(): number; everyMs(): number };
  /**
   * Nimbus's own HTTP routes for this service, under `/_nimbus/<service>/` (e.g. SES's sent
   * mailbox). `path` is the rest after that prefix. Unsigned; mutating routes answer only
   * loopback clients.
   */
  nimbusRoutes?(req: NimbusRouteRequest, runtime: ServiceRuntime): Promise<NimbusRouteResponse | undefined>;
  /** Runs once, before the first request (e.g. to start schedulers). */
  start?(runtime: ServiceRuntime): Promise<void> | void;
  /** Runs once at shutdown, with the runtime `start` got (one process may run several Nimbus instances). */
  stop?(runtime: ServiceRuntime): Promise<void> | void;
  /**
   * Runs before `POST /_nimbus/reset` wipes storage: write out anything buffered and drop
   * in-memory copies of stored state, so nothing stale survives the reset.
   */
  reset?(runtime: ServiceRuntime): Promise<void> | void;
}

/** What the HTTP-level hooks get besides the request. */
export interface HttpHookEnv {
  requestId: string;
  clock: Clock;
  storage: Storage;
  logger: Logger;
  bus: DeliveryBus;
}

/** What the `formUpload` hook gets besides the request: also the gateway's credential check. */
export interface FormUploadEnv extends HttpHookEnv {
  /**
   * The credential of an access key, checked as for a signed request (known, active, session
   * token matching, not expired); throws the service's error otherwise. The caller verifies the
   * signature with the secret.
   */
  credential(accessKeyId: string, sessionToken: string | undefined): Promise<{ principal: Principal; secretAccessKey: string }>;
}

/** The `website` hook of a service definition. */
export interface WebsiteHook {
  /** Nimbus's path form of the endpoint (for clients without wildcard DNS), e.g. `/_nimbus/s3-website/`. */
  pathPrefix: string;
  /** Whether `serve` needs the request body (Lambda function URLs): read whole, bounded, into `req.body` first. */
  readsBody?: boolean;
  /** Whether a request is for a website endpoint (its Host, or a path under `pathPrefix`). Cheap: runs on every request. */
  matches(req: WireRequest): boolean;
  serve(req: WireRequest, env: WebsiteEnv): Promise<WireResponse>;
}

/** What the `website` hook gets besides the request. */
export interface WebsiteEnv extends HttpHookEnv {
  /**
   * Runs an operation of the service for an anonymous caller: its input parsed from `req` by the
   * service's rest protocol, validated, authorized as any unsigned request (resource policies
   * only), handled, and its output serialized. Throws the operation's `ServiceError`.
   */
  invoke(operation: string, req: WireRequest): Promise<WireResponse>;
  /**
   * Whether an anonymous caller (or `as.principal`, in `as.region`) may call `operation` with
   * `input` (authorization alone).
   */
  allowed(operation: string, input: Record<string, unknown>, as?: { principal: Principal; region: string }): Promise<boolean>;
  /**
   * Who signed `req` with SigV4 for `signingName` (Lambda function URLs with AWS_IAM), verified
   * as the gateway verifies API requests; anonymous when unsigned. Throws the gateway's
   * authentication errors.
   */
  authenticate(req: WireRequest, signingName: string): Promise<Principal>;
}

/** A form upload the `formUpload` hook took on: what the gateway authorizes, and the work. */
export interface FormUpload {
  /** The operation the upload amounts to (S3: PutObject), for authorization, audit and logs. */
  operation: string;
  /** Its input as that operation's authorization facts read it (the file stream not included). */
  input: Record<string, unknown>;
  principal: Principal;
  /** The region the form was signed for (the default region when unsigned). */
  region?: string;
  /** Store and answer; called once authorization allowed the operation. */
  run(ctx: RequestContext): Promise<WireResponse>;
  /** Called instead of `run` when the request fails before it: let the rest of the body drain. */
  abandon(): void;
}

export type CredentialUseRecorder = (accessKeyId: string, service: string, region: string, when: Date) => Promise<void>;

export interface ServiceRuntime {
  clock: Clock;
  storage: Storage;
  identity: IdentityStore;
  /** IAM registers the policy engine here at start. */
  setPolicyDecider(decider: PolicyDecider): void;
  /** IAM registers here to learn when a long-term access key signs a request (last-used records). */
  setCredentialUseRecorder(recorder: CredentialUseRecorder): void;
  logger: Logger;
  /** Service-to-service deliveries: services that own ARNs register their targets here at start. */
  bus: DeliveryBus;
  /** CloudTrail registers here to receive the audit record of every request; returns a remover. */
  addAuditSink(sink: AuditSink): () => void;
}

/** Helper to keep handler maps typed against a service's generated operation map. */
export function defineService<Ops>(def: Omit<ServiceDefinition, "handlers"> & { handlers: Partial<Ops> }): ServiceDefinition {
  return def as unknown as ServiceDefinition;
}

/** A request to a service's own `/_nimbus/<service>/...` route. */
export interface NimbusRouteRequest {
  method: string;
  /** The path after `/_nimbus/<service>/`, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Whether the client is on loopback. */
  loopback: boolean;
}

export interface NimbusRouteResponse {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value (sent as application/json) or raw bytes/text with headers. */
  json?: unknown;
  body?: Buffer | string;
}
