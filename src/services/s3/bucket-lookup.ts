/**
 * The bucket record a request names, read once per request: the authorize step (its owner's
 * account) and the handler both need it.
 */
import type { RequestContext } from "../../core/service.js";
import { BucketStore, type BucketRecord } from "./store.js";

const perRequest = new WeakMap<RequestContext, Map<string, Promise<BucketRecord | undefined>>>();

export function lookupBucket(ctx: RequestContext, name: string): Promise<BucketRecord | undefined> {
  let m = perRequest.get(ctx);
  if (!m) perRequest.set(ctx, (m = new Map()));
  let p = m.get(name);
  if (!p) m.set(name, (p = new BucketStore(ctx.storage.metadata).get(name)));
  return p;
}
