/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { CloudtrailOperations } from "../../generated/cloudtrail.js";

export const cloudtrail = defineService<CloudtrailOperations>({ name: "cloudtrail", handlers: {} });
