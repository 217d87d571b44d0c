/** Everything a running Nimbus shares between the gateway, the admin routes and the services. */
import type { Clock } from "./clock.js";
import type { IdentityStore } from "./identity.js";
import type { Logger } from "./logger.js";
import type { CredentialUseRecorder, Storage } from "./service.js";
import type { AuditSink } from "./audit.js";
import type { DeliveryBus } from "./bus.js";

export interface RuntimeOptions {
  host: string;
  port: number;
  /** The default account: its root user signs with the configured root keys. */
  account: string;
}

import type { IamMode, PolicyDecider } from "./authorization.js";

export interface Runtime {
  options: RuntimeOptions;
  clock: Clock;
  logger: Logger;
  storage: Storage;
  identity: IdentityStore;
  audit: Set<AuditSink>;
  /** Service-to-service deliveries (bus.ts). */
  bus: DeliveryBus;
  /** The policy engine (IAM registers it at start); without one only root may act. */
  decider?: PolicyDecider;
  iamMode: IamMode;
  recordCredentialUse?: CredentialUseRecorder;
}
