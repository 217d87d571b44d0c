/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { SqsOperations } from "../../generated/sqs.js";

export const sqs = defineService<SqsOperations>({ name: "sqs", handlers: {} });
