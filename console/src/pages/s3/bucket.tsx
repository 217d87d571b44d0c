/** A bucket's page: Objects, Properties, Permissions and Management tabs (tab and prefix in the query). */
import { navigate } from "../../router.tsx";
import { PageHeader, Tabs, useBreadcrumbs } from "../../ui/index.ts";
import { bucketPath, useSearch } from "./common.ts";
import { ObjectsTab } from "./objects.tsx";
import { ManagementTab, PermissionsTab } from "./permissions.tsx";
import { PropertiesTab } from "./properties.tsx";

const TABS = [
  { id: "objects", label: "Objects" },
  { id: "properties", label: "Properties" },
  { id: "permissions", label: "Permissions" },
  { id: "management", label: "Management" },
];

export function BucketPage({ bucket }: { bucket: string }) {
  const q = useSearch();
  const tab = TABS.some((t) => t.id === q.get("tab")) ? q.get("tab")! : "objects";
  const prefix = q.get("prefix") ?? "";
  const parts = prefix.split("/").filter(Boolean);
  useBreadcrumbs([
    { label: "Amazon S3", to: "s3" },
    { label: "Buckets", to: "s3" },
    { label: bucket, to: bucketPath(bucket) },
    ...parts.map((p, i) => ({ label: p, to: bucketPath(bucket, { prefix: parts.slice(0, i + 1).join("/") + "/" }) })),
  ]);
  return (
    <>
      <PageHeader title={bucket} description={tab === "objects" && prefix ? `Folder ${prefix}` : undefined} />
      <div style={{ overflowX: "auto" }}>
        <Tabs tabs={TABS} active={tab} onChange={(t) => navigate(bucketPath(bucket, { tab: t, prefix: t === "objects" ? prefix : undefined }), { replace: true })} />
      </div>
      <div role="tabpanel" aria-labelledby={`tab-${tab}`} style={{ paddingTop: 12 }}>
        {tab === "objects" && <ObjectsTab bucket={bucket} prefix={prefix} />}
        {tab === "properties" && <PropertiesTab bucket={bucket} />}
        {tab === "permissions" && <PermissionsTab bucket={bucket} />}
        {tab === "management" && <ManagementTab bucket={bucket} />}
      </div>
    </>
  );
}
