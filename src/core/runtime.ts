/** Everything a running Nimbus shares between the gateway, the admin routes and the services. */
import type { Clock } from "./clock.js";
import type { IdentityStore } from "./identity.js";
import type { Logger } from "./logger.js";
import type { RequestContext, Storage } from "./service.js";
import type { AuditSink } from "./audit.js";

export interface RuntimeOptions {
  host: string;
  port: number;
  /** The default account: its root user signs with the configured root keys. */
  account: string;
}

/** Decides whether a non-root principal may call an operation (the IAM policy engine plugs in here). */
export type Authorizer = (ctx: RequestContext, input: Record<string, unknown>) => Promise<void> | void;

export interface Runtime {
  options: RuntimeOptions;
  clock: Clock;
  logger: Logger;
  storage: Storage;
  identity: IdentityStore;
  audit: Set<AuditSink>;
  authorizer?: Authorizer;
}
