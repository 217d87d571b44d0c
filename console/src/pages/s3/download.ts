/** Downloads and shared links through presigned GET URLs (the browser streams the file to disk). */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { baseName, bucketClient } from "./common.ts";

/** A presigned GET URL of an object (or one version), valid for `expiresIn` seconds. */
export async function presignGet(bucket: string, key: string, opts: { versionId?: string; expiresIn?: number; attachment?: boolean } = {}): Promise<string> {
  const c = await bucketClient(bucket);
  const name = baseName(key).replace(/["\\\r\n]/g, "_");
  return getSignedUrl(
    c,
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      VersionId: opts.versionId,
      ResponseContentDisposition: opts.attachment ? `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(baseName(key))}` : undefined,
    }),
    { expiresIn: opts.expiresIn ?? 300 },
  );
}

/** Start a download of the object through an `<a download>` with a presigned URL. */
export async function downloadObject(bucket: string, key: string, versionId?: string): Promise<void> {
  const url = await presignGet(bucket, key, { versionId, attachment: true, expiresIn: 3600 });
  const a = document.createElement("a");
  a.href = url;
  a.download = baseName(key);
  a.rel = "noopener";
  document.body.appendChild(a);
  a.click();
  a.remove();
}
