import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "dynamodb", to: "dynamodb" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="dynamodb" description="This page is being built." />;
}
