/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { SnsOperations } from "../../generated/sns.js";

export const sns = defineService<SnsOperations>({ name: "sns", handlers: {} });
