/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { S3controlOperations } from "../../generated/s3control.js";

export const s3control = defineService<S3controlOperations>({ name: "s3control", handlers: {} });
