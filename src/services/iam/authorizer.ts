/**
 * The policy decider IAM registers with the gateway: it gathers the principal's identity
 * policies (user + groups, or role), its permissions boundary and session policies, adds the
 * resource policy the service supplied, and asks the policy engine. Parsed documents are cached
 * by their text (content-addressed, so never stale); the principal's policies come from a cache
 * that any committed IAM write invalidates (principals.ts), so a change in IAM still applies to
 * the very next call.
 */
import type { AuthorizationRequest, DecisionWithReason, PolicyDecider } from "../../core/authorization.js";
import type { Principal } from "../../core/service.js";
import type { MetadataStore } from "../../storage/types.js";
import { explain, denialExplanation, storedPolicyDocument, type EvaluationPrincipal, type PolicyDocument } from "./policy/index.js";
import { collectPrincipalPolicies, type PrincipalPolicies } from "./principals.js";

/** A stored policy's parsed form. Stored documents were validated when written. */
const parsedDocument = storedPolicyDocument;

/** The parsed forms of a (cached, shared) PrincipalPolicies, kept as long as it is. */
const parsedSets = new WeakMap<PrincipalPolicies, { identity: PolicyDocument[]; boundary?: PolicyDocument }>();
function parsedPolicies(own: PrincipalPolicies): { identity: PolicyDocument[]; boundary?: PolicyDocument } {
  let p = parsedSets.get(own);
  if (!p) {
    p = {
      identity: own.identityPolicies.map((t) => parsedDocument(t, "identity")),
      ...(own.permissionBoundary ? { boundary: parsedDocument(own.permissionBoundary, "boundary") } : {}),
    };
    parsedSets.set(own, p);
  }
  return p;
}

const NO_POLICIES: PrincipalPolicies = { identityPolicies: [] };

function evaluationPrincipal(p: Principal): EvaluationPrincipal {
  switch (p.type) {
    case "anonymous":
      return { type: "anonymous" };
    case "assumed-role":
      return { type: "assumed-role", arn: p.arn, account: p.account, userId: `${p.roleId}:${p.sessionName}`, roleArn: p.roleArn };
    default:
      return { type: p.type, arn: p.arn, account: p.account, userId: p.userId };
  }
}

export function createPolicyDecider(metadata: MetadataStore): PolicyDecider {
  return async (req: AuthorizationRequest): Promise<DecisionWithReason> => {
    const p = req.ctx.principal;
    const own = parsedPolicies(p.type === "anonymous" || p.type === "root" ? NO_POLICIES : await collectPrincipalPolicies(metadata, p));
    const session = p.type === "anonymous" ? undefined : p.session;
    let resourcePolicy: PolicyDocument | undefined;
    if (req.resourcePolicy) {
      try {
        resourcePolicy = parsedDocument(req.resourcePolicy, req.resourcePolicyKind ?? "resource");
      } catch {
        // An unparsable resource policy grants nothing (services validate on write).
        resourcePolicy = undefined;
      }
    }
    const result = explain({
      action: req.action,
      resources: [req.resource],
      principal: evaluationPrincipal(p),
      resourceAccount: req.resourceAccount,
      identityPolicies: own.identity,
      ...(session?.sessionPolicies?.length ? { sessionPolicies: session.sessionPolicies.map((t) => parsedDocument(t, "session")) } : {}),
      ...(own.boundary ? { permissionBoundary: own.boundary } : {}),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      ...(req.requireResourcePolicy ? { requireResourcePolicy: true } : {}),
      context: req.context,
    });
    return { decision: result.decision, explanation: denialExplanation(result, req.action) };
  };
}
