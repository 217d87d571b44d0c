/**
 * IAM facts of the PartiQL operations: the action is dynamodb:PartiQLSelect / PartiQLInsert /
 * PartiQLUpdate / PartiQLDelete by statement kind, on the tables (or indexes) the statements name.
 * A batch or transaction mixing kinds is authorized by its first statement's kind (a statement
 * that does not parse is left to the handler, which refuses it).
 */
import type { AuthorizationFacts, RequestContext } from "../../core/service.js";
import { parseStatement } from "./partiql/parser.js";
import { tableArn } from "./table-operations.js";

const ACTIONS = { SELECT: "PartiQLSelect", INSERT: "PartiQLInsert", UPDATE: "PartiQLUpdate", DELETE: "PartiQLDelete" } as const;

export function partiqlFacts(ctx: RequestContext, input: Record<string, unknown>): AuthorizationFacts {
  const raw = (input.Statements ?? input.TransactStatements ?? [{ Statement: input.Statement, Parameters: input.Parameters }]) as {
    Statement?: unknown;
    Parameters?: unknown[];
  }[];
  let action: string | undefined;
  const resources = new Set<string>();
  for (const s of raw) {
    try {
      const st = parseStatement(String(s.Statement), s.Parameters ?? []);
      action ??= `dynamodb:${ACTIONS[st.kind]}`;
      const arn = tableArn(ctx, st.table);
      resources.add(st.kind === "SELECT" && st.index !== undefined ? `${arn}/index/${st.index}` : arn);
    } catch {
      // malformed: the handler answers with the ValidationException
    }
  }
  return { ...(action ? { action } : {}), resources: resources.size ? [...resources] : ["*"] };
}
