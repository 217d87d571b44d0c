/**
 * AWS SDK clients for the console: same endpoint as the page, the signed-in session's
 * credentials, the region chosen in the header. Pages import the client packages they need
 * (each page is its own chunk, so the first load stays small) and call `client(S3Client)`.
 */
import { credentialProvider } from "./session.ts";

const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
  "sa-east-1",
] as const;
export const regions: readonly string[] = REGIONS;

let region = (typeof localStorage !== "undefined" && localStorage.getItem("nimbus.region")) || "us-east-1";
const regionListeners = new Set<(r: string) => void>();

export function getRegion(): string {
  return region;
}

export function setRegion(r: string): void {
  region = r;
  try {
    localStorage.setItem("nimbus.region", r);
  } catch {
    // storage may be disabled
  }
  for (const l of regionListeners) l(r);
}

export function onRegionChange(fn: (r: string) => void): () => void {
  regionListeners.add(fn);
  return () => regionListeners.delete(fn);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ClientCtor<C> = new (config: any) => C;
const cache = new Map<ClientCtor<unknown>, Map<string, unknown>>();

/** A client of `Ctor` for the current (or given) region, configured for this Nimbus. */
export function client<C>(Ctor: ClientCtor<C>, forRegion: string = region): C {
  let byRegion = cache.get(Ctor);
  if (!byRegion) cache.set(Ctor, (byRegion = new Map()));
  let c = byRegion.get(forRegion) as C | undefined;
  if (!c) {
    c = new Ctor({
      region: forRegion,
      endpoint: location.origin,
      credentials: credentialProvider,
      forcePathStyle: true,
      maxAttempts: 2,
    });
    byRegion.set(forRegion, c);
  }
  return c;
}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException"]);

/** Whether an error is IAM saying no. */
export function isAccessDenied(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return DENIED.has(err?.name ?? "") || DENIED.has(err?.Code ?? "");
}

/** A readable message for an SDK or console error ("Access denied: ..." for IAM denials). */
export function errorMessage(e: unknown): string {
  if (e == null) return "Unknown error";
  const err = e as { name?: string; message?: string };
  const message = err.message && err.message !== "UnknownError" ? err.message : String(err.name ?? e);
  if (isAccessDenied(e)) return `Access denied. ${message}`;
  return err.name && err.name !== "Error" && !message.startsWith(err.name) ? `${err.name}: ${message}` : message;
}
