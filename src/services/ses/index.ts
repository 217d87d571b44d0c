/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { SesOperations } from "../../generated/ses.js";

export const ses = defineService<SesOperations>({ name: "ses", handlers: {} });
