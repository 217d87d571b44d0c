import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";

export default function Page({ path }: ServicePageProps) {
  useBreadcrumbs([{ label: "sns", to: "sns" }, ...path.map((p) => ({ label: p }))]);
  return <PageHeader title="sns" description="This page is being built." />;
}
