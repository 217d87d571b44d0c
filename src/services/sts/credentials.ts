/**
 * Temporary credentials: an `ASIA...` key, a secret and a session token, written to the shared
 * credential table with their expiry so the gateway authenticates them until then and answers
 * ExpiredToken after (by the injected clock).
 */
import { randomBytes } from "node:crypto";
import type { RequestContext, Principal } from "../../core/service.js";
import { newAccessKeyId, newSecretAccessKey } from "../../core/accounts.js";
import type { IdentityStore } from "../../core/identity.js";

export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}

/** Issue credentials for `principal` (whose accessKeyId is replaced by the new key's). */
export async function issueCredentials(
  ctx: RequestContext,
  principal: Exclude<Principal, { type: "anonymous" }>,
  durationSeconds: number,
): Promise<IssuedCredentials> {
  return putTemporaryCredentials(ctx.identity, principal, new Date(ctx.clock.nowMs() + durationSeconds * 1000));
}

/**
 * Write a new temporary credential (ASIA key, secret, session token) for `principal` that the
 * gateway accepts until `expiration`; also used by the console for its sessions.
 */
export async function putTemporaryCredentials(
  identity: IdentityStore,
  principal: Exclude<Principal, { type: "anonymous" }>,
  expiration: Date,
): Promise<IssuedCredentials> {
  const accessKeyId = newAccessKeyId("ASIA");
  const secretAccessKey = newSecretAccessKey();
  // Opaque, long, and unguessable, as AWS session tokens are.
  const sessionToken = `IQoJ${randomBytes(120).toString("base64")}`;
  await identity.put({
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration: expiration.toISOString(),
    status: "Active",
    principal: { ...principal, accessKeyId },
  });
  return { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: expiration };
}

/**
 * Encoded authorization failure messages (EC2's UnauthorizedOperation carries one) are
 * base64url JSON with a marker, decoded by DecodeAuthorizationMessage.
 */
const MARKER = "nimbus-authz-v1:";

export function encodeAuthorizationMessage(details: Record<string, unknown>): string {
  return Buffer.from(MARKER + JSON.stringify(details), "utf8").toString("base64url");
}

export function decodeAuthorizationMessage(encoded: string): string | undefined {
  const text = Buffer.from(encoded, "base64url").toString("utf8");
  return text.startsWith(MARKER) ? text.slice(MARKER.length) : undefined;
}
