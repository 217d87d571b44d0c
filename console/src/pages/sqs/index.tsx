import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "sqs", to: "sqs" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="sqs" description="This page is being built." />;
}
