import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "iam", to: "iam" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="iam" description="This page is being built." />;
}
