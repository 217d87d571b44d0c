import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "s3", to: "s3" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="s3" description="This page is being built." />;
}
