/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { DynamodbstreamsOperations } from "../../generated/dynamodbstreams.js";

export const dynamodbstreams = defineService<DynamodbstreamsOperations>({ name: "dynamodbstreams", handlers: {} });
