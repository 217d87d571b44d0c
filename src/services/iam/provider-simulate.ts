/**
 * The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) and the context-key
 * queries, on the same policy engine that authorizes requests.
 */
import type { RequestContext } from "../../core/service.js";
import type {
  IamOperations,
  SimulateCustomPolicyOutputEvaluationResultsMember,
  SimulateCustomPolicyRequestContextEntries,
} from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import { err, needGroup, needRole, needUser, page } from "./common.js";
import { awsManagedPolicy } from "./managed-policies.js";
import { explain, parsePolicyDocument, type ContextValue, type PolicyDocument, type PolicyKind } from "./policy/index.js";
import { nameKey, readDb, type IamDb } from "./store.js";
import { check } from "./validate.js";

interface SourcePolicy {
  id: string;
  type: "user" | "group" | "role" | "aws-managed" | "user-managed" | "resource" | "none";
  text: string;
  doc: PolicyDocument;
}

function parse(text: string, kind: PolicyKind, id: string, type: SourcePolicy["type"]): SourcePolicy {
  return { id, type, text, doc: parsePolicyDocument(text, kind) };
}

/** One-statement documents, to tell which statements of a policy matched (the engine's cache is per object). */
const single = new WeakMap<PolicyDocument, PolicyDocument[]>();
function statementsOf(doc: PolicyDocument): PolicyDocument[] {
  let out = single.get(doc);
  if (!out) {
    out = doc.Statement.map((s) => Object.freeze({ ...(doc.Version ? { Version: doc.Version } : {}), Statement: Object.freeze([s]) }));
    single.set(doc, out);
  }
  return out;
}

function contextFrom(entries: SimulateCustomPolicyRequestContextEntries | undefined): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const e of entries ?? []) {
    if (!e.ContextKeyName) continue;
    const values = e.ContextKeyValues ?? [];
    const type = (e.ContextKeyType ?? "string").toLowerCase();
    if (type.endsWith("list")) out[e.ContextKeyName] = values;
    else if (type === "numeric") out[e.ContextKeyName] = Number(values[0]);
    else if (type === "boolean") out[e.ContextKeyName] = values[0]?.toLowerCase() === "true";
    else if (type === "date") out[e.ContextKeyName] = new Date(values[0] ?? "");
    else out[e.ContextKeyName] = values[0];
  }
  return out;
}

const DECISION = { Allowed: "allowed", ImplicitlyDenied: "implicitDeny", ExplicitlyDenied: "explicitDeny" } as const;

interface SimulationInput {
  ActionNames: string[];
  ResourceArns?: string[];
  ResourcePolicy?: string;
  ResourceOwner?: string;
  CallerArn?: string;
  ContextEntries?: SimulateCustomPolicyRequestContextEntries;
  MaxItems?: number;
  Marker?: string;
}

function simulate(
  ctx: RequestContext,
  identity: SourcePolicy[],
  boundaries: SourcePolicy[],
  input: SimulationInput,
  callerArn: string | undefined,
) {
  const resourcePolicy = input.ResourcePolicy ? parse(input.ResourcePolicy, "resource", "ResourcePolicy", "resource") : undefined;
  const boundary: PolicyDocument | undefined =
    boundaries.length > 0 ? Object.freeze({ Version: "2012-10-17" as const, Statement: boundaries.flatMap((b) => b.doc.Statement) }) : undefined;
  const context = contextFrom(input.ContextEntries);
  const ownerAccount = input.ResourceOwner ? /^arn:aws:iam::(\d{12}):/.exec(input.ResourceOwner)?.[1] : undefined;
  const principal = { type: "user" as const, account: ctx.account, ...(callerArn ? { arn: callerArn } : {}) };
  const resources = input.ResourceArns?.length ? input.ResourceArns : ["*"];
  const results: SimulateCustomPolicyOutputEvaluationResultsMember[] = [];
  for (const action of input.ActionNames) {
    for (const resource of resources) {
      const base = {
        action,
        resources: [resource],
        principal,
        ...(ownerAccount ? { resourceAccount: ownerAccount } : {}),
        context,
      };
      const result = explain({
        ...base,
        identityPolicies: identity.map((p) => p.doc),
        ...(boundary ? { permissionBoundary: boundary } : {}),
        ...(resourcePolicy ? { resourcePolicy: resourcePolicy.doc } : {}),
      });
      // Which statements decided: each statement alone, as the only identity policy.
      const wanted = result.decision === "ExplicitlyDenied" ? "ExplicitlyDenied" : "Allowed";
      const matched = [];
      if (result.decision !== "ImplicitlyDenied") {
        for (const source of [...identity, ...(resourcePolicy ? [resourcePolicy] : [])]) {
          const isResource = source === resourcePolicy;
          for (const [i, stmt] of statementsOf(source.doc).entries()) {
            const effect = source.doc.Statement[i]!.Effect;
            if ((wanted === "Allowed") !== (effect === "Allow")) continue;
            const d = explain({ ...base, identityPolicies: isResource ? [] : [stmt], ...(isResource ? { resourcePolicy: stmt } : {}) }).decision;
            if (d === wanted) matched.push({ SourcePolicyId: source.id, SourcePolicyType: source.type });
          }
        }
      }
      const member: SimulateCustomPolicyOutputEvaluationResultsMember = {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: DECISION[result.decision],
        MatchedStatements: result.decision === "ImplicitlyDenied" ? [] : matched,
        MissingContextValues: [],
      };
      if (boundary) {
        const allowedByBoundary =
          explain({ ...base, identityPolicies: [boundary] }).decision === "Allowed";
        member.PermissionsBoundaryDecisionDetail = { AllowedByPermissionsBoundary: allowedByBoundary };
      }
      results.push(member);
    }
  }
  const p = page(
    results.map((r, i) => ({ r, key: String(i).padStart(8, "0") })),
    (x) => x.key,
    input,
  );
  return { EvaluationResults: p.items.map((x) => x.r), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
}

function checkSimulation(input: SimulationInput & { PolicyInputList?: string[]; PermissionsBoundaryPolicyInputList?: string[] }) {
  const c = check().count("actionNames", input.ActionNames, 1, 1000).paging(input);
  input.ActionNames.forEach((a, i) => c.str(`actionNames.${i + 1}.member`, a, 3, 128));
  c.str("callerArn", input.CallerArn, 1, 2048).str("resourceOwner", input.ResourceOwner, 1, 2048);
  c.oneOf("resourceHandlingOption", (input as { ResourceHandlingOption?: string }).ResourceHandlingOption, [
    "EC2-Classic-InstanceStore",
    "EC2-Classic-EBS",
    "EC2-VPC-InstanceStore",
    "EC2-VPC-InstanceStore-Subnet",
    "EC2-VPC-EBS",
    "EC2-VPC-EBS-Subnet",
  ]);
  c.done();
}

/** The policies of a user (with its groups'), group or role, named by ARN, for the simulator. */
async function policiesOfEntity(db: IamDb, arn: string): Promise<{ identity: SourcePolicy[]; boundary?: SourcePolicy }> {
  const m = /^arn:aws:iam::(\d{12}):(user|group|role)(\/.*\/|\/)([^/]+)$/.exec(arn);
  if (!m || m[1] !== db.account) throw err(IamErrors.InvalidInput, `Invalid ARN: ${arn}`);
  const kind = m[2] as "user" | "group" | "role";
  const name = m[4]!;
  const identity: SourcePolicy[] = [];
  const managed = async (policyArn: string) => {
    const aws = awsManagedPolicy(policyArn);
    if (aws) return parse(aws.document, "identity", aws.name, "aws-managed");
    const pm = /:policy(\/.*\/|\/)([^/]+)$/.exec(policyArn);
    const p = pm ? await db.policies.get(nameKey(pm[2]!)) : undefined;
    const v = p?.versions.find((x) => x.id === p.defaultVersion);
    return v && p ? parse(v.document, "identity", p.name, "user-managed") : undefined;
  };
  const addEntity = async (e: { inline: Record<string, { name: string; document: string }>; attached: string[] }, type: SourcePolicy["type"]) => {
    for (const p of Object.values(e.inline)) identity.push(parse(p.document, "identity", p.name, type));
    for (const a of e.attached) {
      const p = await managed(a);
      if (p) identity.push(p);
    }
  };
  let boundaryArn: string | undefined;
  if (kind === "user") {
    const u = await needUser(db, name);
    await addEntity(u, "user");
    for (const gk of u.groups) {
      const g = await db.groups.get(gk);
      if (g) await addEntity(g, "group");
    }
    boundaryArn = u.permissionsBoundary;
  } else if (kind === "group") {
    await addEntity(await needGroup(db, name), "group");
  } else {
    const r = await needRole(db, name);
    await addEntity(r, "role");
    boundaryArn = r.permissionsBoundary;
  }
  const boundary = boundaryArn ? await managed(boundaryArn) : undefined;
  return { identity, ...(boundary ? { boundary } : {}) };
}

function conditionKeys(docs: PolicyDocument[]): string[] {
  const seen = new Map<string, string>();
  for (const d of docs) {
    for (const s of d.Statement) {
      for (const block of Object.values(s.Condition ?? {})) {
        for (const key of Object.keys(block)) if (!seen.has(key.toLowerCase())) seen.set(key.toLowerCase(), key);
      }
    }
  }
  return [...seen.values()].sort();
}

export const simulateHandlers: Partial<IamOperations> = {
  async SimulateCustomPolicy(ctx, input) {
    checkSimulation(input);
    check().count("policyInputList", input.PolicyInputList, 0, 1000).done();
    const identity = input.PolicyInputList.map((t, i) => parse(t, "identity", `PolicyInputList.${i + 1}`, "none"));
    const boundaries = (input.PermissionsBoundaryPolicyInputList ?? []).map((t, i) =>
      parse(t, "boundary", `PermissionsBoundaryPolicyInputList.${i + 1}`, "none"),
    );
    return simulate(ctx, identity, boundaries, input, input.CallerArn);
  },

  async SimulatePrincipalPolicy(ctx, input) {
    checkSimulation(input);
    check().str("policySourceArn", input.PolicySourceArn, 20, 2048).done();
    const db = readDb(ctx);
    const source = await policiesOfEntity(db, input.PolicySourceArn);
    const extra = (input.PolicyInputList ?? []).map((t, i) => parse(t, "identity", `PolicyInputList.${i + 1}`, "none"));
    const boundaries = input.PermissionsBoundaryPolicyInputList?.length
      ? input.PermissionsBoundaryPolicyInputList.map((t, i) => parse(t, "boundary", `PermissionsBoundaryPolicyInputList.${i + 1}`, "none"))
      : source.boundary
        ? [source.boundary]
        : [];
    const callerArn = input.CallerArn ?? (/:user\//.test(input.PolicySourceArn) ? input.PolicySourceArn : undefined);
    return simulate(ctx, [...source.identity, ...extra], boundaries, input, callerArn);
  },

  async GetContextKeysForCustomPolicy(_ctx, input) {
    const docs = input.PolicyInputList.map((t) => parsePolicyDocument(t, "identity"));
    return { ContextKeyNames: conditionKeys(docs) };
  },

  async GetContextKeysForPrincipalPolicy(ctx, input) {
    check().str("policySourceArn", input.PolicySourceArn, 20, 2048).done();
    const source = await policiesOfEntity(readDb(ctx), input.PolicySourceArn);
    const extra = (input.PolicyInputList ?? []).map((t) => parsePolicyDocument(t, "identity"));
    return { ContextKeyNames: conditionKeys([...source.identity.map((p) => p.doc), ...extra]) };
  },
};
