/**
 * Objects written by other services (CloudTrail log files today; CloudWatch Logs exports and load
 * balancer access logs later): the delivery bus's `s3` target. A delivery to
 * `arn:aws:s3:::<bucket>/<key>` becomes a PutObject in the bucket owner's name, allowed when the
 * sender is the bucket owner's own account or when the bucket policy lets the sending service
 * principal `s3:PutObject` the key (with aws:SourceAccount, aws:SourceArn and
 * `s3:x-amz-acl = bucket-owner-full-control`, as AWS's delivery services send it). The object then
 * behaves like any other: encryption, versioning, event notifications, replication.
 *
 * A delivery's body is text; attribute `Body-Encoding: base64` marks binary content, and
 * `Content-Type` / `Content-Encoding` attributes become the object's headers.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Delivery } from "../../core/bus.js";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import { evaluate, parsePolicyDocument } from "../iam/policy/index.js";
import { BucketConfigStore } from "./bucket-config-store.js";
import { putObject } from "./provider-objects.js";
import { BucketStore, type BucketRecord } from "./store.js";
import type { MetadataStore } from "../../storage/types.js";

/**
 * Whether a sender may put `key` in the bucket: the owner's own account always may; a service
 * principal or another account only when the bucket policy allows `s3:PutObject` on the key with
 * the keys AWS's delivery services send (aws:SourceAccount, aws:SourceArn,
 * s3:x-amz-acl = bucket-owner-full-control).
 */
export async function mayWrite(metadata: MetadataStore, bucket: BucketRecord, key: string, sender: Delivery["sender"]): Promise<boolean> {
  if (!sender.servicePrincipal && sender.account === bucket.account) return true;
  const policy = await new BucketConfigStore(metadata).get(bucket, "policy");
  if (!policy) return false;
  return (
    evaluate({
      action: "s3:PutObject",
      resources: [`arn:aws:s3:::${bucket.name}/${key}`],
      principal: sender.servicePrincipal
        ? { type: "service", arn: sender.servicePrincipal }
        : { type: "root", arn: `arn:aws:iam::${sender.account}:root`, account: sender.account },
      resourceAccount: bucket.account,
      identityPolicies: [],
      resourcePolicy: parsePolicyDocument(policy, "resource"),
      context: {
        "aws:SourceAccount": sender.account,
        ...(sender.sourceArn ? { "aws:SourceArn": sender.sourceArn } : {}),
        "s3:x-amz-acl": "bucket-owner-full-control",
      },
    }) === "Allowed"
  );
}

export function registerServiceWrites(runtime: ServiceRuntime): () => void {
  return runtime.bus.register("s3", async (arn: string, delivery: Delivery) => {
    const m = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/s.exec(arn);
    if (!m) throw new Error(`Not an S3 object ARN: ${arn}`);
    const [, bucketName, key] = m as unknown as [string, string, string];
    const bucket = await new BucketStore(runtime.storage.metadata).get(bucketName);
    if (!bucket) throw new Error(`The specified bucket does not exist: ${bucketName}`);
    if (!(await mayWrite(runtime.storage.metadata, bucket, key, delivery.sender))) {
      throw new Error(`Access Denied: ${delivery.sender.servicePrincipal ?? delivery.sender.account} may not write to ${arn}`);
    }
    const attr = (name: string) => delivery.attributes?.[name]?.StringValue;
    const body = attr("Body-Encoding") === "base64" ? Buffer.from(delivery.body, "base64") : Buffer.from(delivery.body, "utf8");
    const ctx: RequestContext = {
      requestId: randomUUID(),
      service: "s3",
      operation: "PutObject",
      account: bucket.account,
      region: bucket.region,
      principal: { type: "root", account: bucket.account, arn: `arn:aws:iam::${bucket.account}:root`, userId: bucket.account, accessKeyId: "" },
      sourceIp: "127.0.0.1",
      secureTransport: true,
      endpoint: "http://127.0.0.1",
      clock: runtime.clock,
      storage: runtime.storage,
      identity: runtime.identity,
      logger: runtime.logger,
      bus: runtime.bus,
      scope: { account: bucket.account, region: bucket.region, service: "s3" },
    };
    const out = await putObject(ctx, {
      Bucket: bucketName,
      Key: key,
      Body: Readable.from([body]) as never,
      ContentLength: body.length,
      ...(attr("Content-Type") ? { ContentType: attr("Content-Type") } : {}),
      ...(attr("Content-Encoding") ? { ContentEncoding: attr("Content-Encoding") } : {}),
    });
    return { ...(out.VersionId ? { messageId: out.VersionId } : {}) };
  });
}
