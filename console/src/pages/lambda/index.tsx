import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "lambda", to: "lambda" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="lambda" description="This page is being built." />;
}
