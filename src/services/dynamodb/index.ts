/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { DynamodbOperations } from "../../generated/dynamodb.js";

export const dynamodb = defineService<DynamodbOperations>({ name: "dynamodb", handlers: {} });
