/** AWS Lambda: account settings and function listing now; running code with the Lambda issue. */
import { defineService } from "../../core/service.js";
import type { LambdaOperations } from "../../generated/lambda.js";
import { handlers } from "./provider.js";

export const lambda = defineService<LambdaOperations>({ name: "lambda", handlers });
