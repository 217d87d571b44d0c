/** Amazon CloudWatch metrics: PutMetricData and ListMetrics now; statistics and alarms later. */
import { defineService } from "../../core/service.js";
import type { CloudwatchOperations } from "../../generated/cloudwatch.js";
import { handlers } from "./provider.js";

export const cloudwatch = defineService<CloudwatchOperations>({
  name: "cloudwatch",
  handlers,
  // Signed as "monitoring", authorized as "cloudwatch:*".
  iamPrefix: "cloudwatch",
  authorization: {
    PutMetricData: (_ctx, input) => ({ context: { "cloudwatch:namespace": String(input.Namespace) } }),
  },
});
