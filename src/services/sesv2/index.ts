/** Placeholder: every operation answers 501 NotImplemented until its issue lands. */
import { defineService } from "../../core/service.js";
import type { Sesv2Operations } from "../../generated/sesv2.js";

export const sesv2 = defineService<Sesv2Operations>({ name: "sesv2", handlers: {} });
