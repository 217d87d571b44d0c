/** Amazon CloudWatch Logs: log groups now; streams, events and queries later. */
import { defineService } from "../../core/service.js";
import type { LogsOperations } from "../../generated/logs.js";
import { handlers } from "./provider.js";

export const logs = defineService<LogsOperations>({ name: "logs", handlers });
