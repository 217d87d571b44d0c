import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "cloudtrail", to: "cloudtrail" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="cloudtrail" description="This page is being built." />;
}
