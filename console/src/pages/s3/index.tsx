/**
 * S3 in the console. Routes (after /_nimbus/console/s3):
 *   ""  or "buckets"                 bucket list
 *   "create-bucket"                  create a bucket
 *   "buckets/<name>"                 a bucket (?tab=properties|permissions|management, ?prefix=)
 *   "buckets/<name>/upload"          upload into ?prefix=
 *   "buckets/<name>/object"          an object's details (?key=, so keys with "/" work)
 */
import "./node-globals.ts";
import type { ServicePageProps } from "../../services.ts";
import { Link } from "../../router.tsx";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";
import { BucketList, CreateBucket } from "./buckets.tsx";
import { BucketPage } from "./bucket.tsx";
import { ObjectPage } from "./object.tsx";
import { UploadPage } from "./upload.tsx";

function NotFound({ path }: { path: string[] }) {
  useBreadcrumbs([{ label: "Amazon S3", to: "s3" }, { label: "Not found" }]);
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no S3 page at <code>{path.join("/")}</code>. <Link to="s3">Go to the bucket list</Link>.
      </p>
    </>
  );
}

export default function Page({ path }: ServicePageProps) {
  const [first, name, sub] = path;
  if (path.length === 0 || (first === "buckets" && !name)) return <BucketList />;
  if (first === "create-bucket" && path.length === 1) return <CreateBucket />;
  if (first === "buckets" && name) {
    const bucket = decodeURIComponent(name);
    if (!sub) return <BucketPage key={bucket} bucket={bucket} />;
    if (sub === "upload" && path.length === 3) return <UploadPage key={bucket} bucket={bucket} />;
    if (sub === "object" && path.length === 3) return <ObjectPage key={bucket} bucket={bucket} />;
  }
  return <NotFound path={path} />;
}
