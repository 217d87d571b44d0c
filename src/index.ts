/** The in-process API: `import { startNimbus } from "nimbus"`. */
export { startNimbus, type Nimbus, type NimbusOptions } from "./server.js";
export type { AuditRecord, AuditSink } from "./core/audit.js";
export type { Clock } from "./core/clock.js";
export { VERSION } from "./version.js";
