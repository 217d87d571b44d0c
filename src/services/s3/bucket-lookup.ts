/**
 * The bucket record a request names, read once per request: the authorize step (its owner's
 * account) and the handler both need it.
 */
import type { RequestContext } from "../../core/service.js";
import { BucketStore, type BucketRecord } from "./store.js";
import { bucketBehindAccessPoint } from "./access-points.js";

const perRequest = new WeakMap<RequestContext, Map<string, Promise<BucketRecord | undefined>>>();

export function lookupBucket(ctx: RequestContext, name: string): Promise<BucketRecord | undefined> {
  let m = perRequest.get(ctx);
  if (!m) perRequest.set(ctx, (m = new Map()));
  let p = m.get(name);
  // A name that is no bucket may be an access point's (access-points.ts).
  if (!p) m.set(name, (p = new BucketStore(ctx.storage.metadata).get(name).then((b) => b ?? bucketBehindAccessPoint(ctx, name))));
  return p;
}
