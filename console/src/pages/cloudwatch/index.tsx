import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "cloudwatch", to: "cloudwatch" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="cloudwatch" description="This page is being built." />;
}
