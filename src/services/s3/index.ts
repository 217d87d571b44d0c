/** Amazon S3: buckets now, the whole object API with the S3 issue. */
import { defineService } from "../../core/service.js";
import type { S3Operations } from "../../generated/s3.js";
import { handlers } from "./provider.js";

const bucketArn = (input: Record<string, unknown>) => `arn:aws:s3:::${String(input.Bucket)}`;
const onBucket = (action: string) => (_ctx: unknown, input: Record<string, unknown>) => ({ action, resources: [bucketArn(input)] });

export const s3 = defineService<S3Operations>({
  name: "s3",
  handlers,
  anonymousByResourcePolicy: true,
  // S3's IAM actions differ from its operation names.
  authorization: {
    // Account-level actions are checked on arn:aws:s3:::* so statements on "*" and on every bucket both apply.
    ListBuckets: () => ({ action: "s3:ListAllMyBuckets", resources: ["arn:aws:s3:::*"] }),
    CreateBucket: onBucket("s3:CreateBucket"),
    DeleteBucket: onBucket("s3:DeleteBucket"),
    HeadBucket: onBucket("s3:ListBucket"),
    GetBucketLocation: onBucket("s3:GetBucketLocation"),
  },
});
