/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { EventsOperations } from "../../generated/events.js";

export const events = defineService<EventsOperations>({ name: "events", handlers: {} });
