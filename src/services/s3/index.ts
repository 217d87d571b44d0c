/** Amazon S3: buckets now, the whole object API with the S3 issue. */
import { defineService } from "../../core/service.js";
import type { S3Operations } from "../../generated/s3.js";
import { handlers } from "./provider.js";

export const s3 = defineService<S3Operations>({ name: "s3", handlers, anonymousByResourcePolicy: true });
