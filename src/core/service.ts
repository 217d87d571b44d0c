/**
 * What a service is to the core: a name (its entry in models/services.json) and typed handlers
 * `(ctx, input) => output`. Handlers never see HTTP; the gateway parses, authenticates,
 * authorizes and serializes around them.
 */
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { BlobStore, MetadataStore, Scope } from "../storage/types.js";

export type Principal =
  | {
      type: "root";
      account: string;
      arn: string;
      userId: string;
      accessKeyId: string;
    }
  | {
      type: "user";
      account: string;
      arn: string;
      userId: string;
      userName: string;
      accessKeyId: string;
    }
  | {
      type: "assumed-role";
      account: string;
      arn: string;
      userId: string;
      roleArn: string;
      sessionName: string;
      accessKeyId: string;
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
  logger: Logger;
  /** Where this service keeps state for this request (global services use region aws-global). */
  scope: Scope;
}

// Inputs and outputs are typed per service by the generated types (src/generated/<service>.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each service narrows this with its generated operation map
export type Handler<I = any, O = any> = (ctx: RequestContext, input: I) => Promise<O> | O;

export interface ServiceDefinition {
  /** The key of the service in models/services.json (e.g. "sts", "s3"). */
  name: string;
  handlers: Record<string, Handler | undefined>;
  /** Operations that an unsigned (anonymous) request may call, e.g. STS AssumeRoleWithWebIdentity. */
  anonymousOperations?: readonly string[];
  /** Runs once, before the first request (e.g. to start schedulers). */
  start?(runtime: ServiceRuntime): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface ServiceRuntime {
  clock: Clock;
  storage: Storage;
  logger: Logger;
}

/** Helper to keep handler maps typed against a service's generated operation map. */
export function defineService<Ops>(def: Omit<ServiceDefinition, "handlers"> & { handlers: Partial<Ops> }): ServiceDefinition {
  return def as unknown as ServiceDefinition;
}
