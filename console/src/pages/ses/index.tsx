import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "ses", to: "ses" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="ses" description="This page is being built." />;
}
