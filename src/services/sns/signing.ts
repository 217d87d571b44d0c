/**
 * Message signatures as SNS makes them: one RSA key per Nimbus data directory (kept in the
 * metadata store, so restarts and every account share it) with a self-signed X.509 certificate
 * (node-forge builds it; node:crypto cannot) that Nimbus serves at
 * `/_nimbus/sns/SimpleNotificationService-<id>.pem`. SignatureVersion 1 signs with SHA1withRSA,
 * 2 with SHA256withRSA, over AWS's documented string to sign.
 */
import { createHash, createPrivateKey, generateKeyPairSync, webcrypto, type webcrypto as WebCrypto } from "node:crypto";

type CryptoKey = WebCrypto.CryptoKey;
import type { MetadataStore, Scope } from "../../storage/types.js";

export interface SigningKey {
  id: string;
  keyPem: string;
  certPem: string;
}

/** Where the key lives: one per data directory, outside any account. */
const KEY_SCOPE: Scope = { account: "nimbus", region: "aws-global", service: "sns" };
const cache = new WeakMap<MetadataStore, Promise<SigningKey>>();

/** node-forge (X.509 certificates) is loaded only when a data directory first needs a key. */
async function makeKey(nowMs: number): Promise<SigningKey> {
  const { default: forge } = await import("node-forge");
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const pubPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = "01" + createHash("sha256").update(pubPem).digest("hex").slice(0, 30);
  cert.validity.notBefore = new Date(nowMs - 86_400_000);
  cert.validity.notAfter = new Date(nowMs + 10 * 365 * 86_400_000);
  const attrs = [
    { name: "commonName", value: "sns.amazonaws.com" },
    { name: "organizationName", value: "Nimbus" },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const id = createHash("sha256").update(certPem).digest("hex").slice(0, 32);
  return { id, keyPem, certPem };
}

/** The data directory's signing key, made on first use. */
export function signingKey(metadata: MetadataStore, nowMs: number): Promise<SigningKey> {
  let p = cache.get(metadata);
  if (!p) {
    p = (async () => {
      const table = metadata.table<SigningKey>(KEY_SCOPE, "signing-key");
      const existing = await table.get("current");
      if (existing) return existing;
      const made = await makeKey(nowMs);
      if (await table.insert("current", made)) return made;
      return (await table.get("current"))!;
    })();
    p.catch(() => cache.delete(metadata));
    cache.set(metadata, p);
  }
  return p;
}

/** Forget the cached key (after a reset wiped the store). */
export function forgetSigningKey(metadata: MetadataStore): void {
  cache.delete(metadata);
}

export const certPath = (key: SigningKey) => `SimpleNotificationService-${key.id}.pem`;

/** The fields a signature covers, by message type, in AWS's order. */
export function stringToSign(m: Record<string, string | undefined>): string {
  const fields =
    m.Type === "Notification"
      ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  let s = "";
  for (const f of fields) {
    const v = m[f];
    if (v === undefined) continue;
    s += `${f}\n${v}\n`;
  }
  return s;
}

/**
 * Imported private keys by PEM and hash. Signing goes through WebCrypto, whose RSA runs on
 * libuv's thread pool: an RSA-2048 signature costs about half a millisecond, which on the event
 * loop capped fan-out throughput and delayed every other request meanwhile.
 */
const imported = new Map<string, Promise<CryptoKey>>();

function cryptoKey(key: SigningKey, hash: "SHA-1" | "SHA-256"): Promise<CryptoKey> {
  const id = `${hash}\0${key.keyPem}`;
  let k = imported.get(id);
  if (!k) {
    const der = createPrivateKey(key.keyPem).export({ type: "pkcs8", format: "der" });
    k = webcrypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["sign"]);
    k.catch(() => imported.delete(id));
    imported.set(id, k);
  }
  return k;
}

/** The base64 signature of `text`: SignatureVersion 1 is SHA1withRSA, 2 SHA256withRSA. */
export async function sign(key: SigningKey, version: string, text: string): Promise<string> {
  const k = await cryptoKey(key, version === "2" ? "SHA-256" : "SHA-1");
  return Buffer.from(await webcrypto.subtle.sign("RSASSA-PKCS1-v1_5", k, Buffer.from(text, "utf8"))).toString("base64");
}
