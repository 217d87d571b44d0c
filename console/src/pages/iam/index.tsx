/** The IAM console: routes by path to the dashboard, users, groups, roles, policies and settings pages. */
import type { ServicePageProps } from "../../services.ts";
import { PageHeader, useBreadcrumbs } from "../../ui/index.ts";
import { Link } from "../../router.tsx";
import { IamNav, seg } from "./common.tsx";
import { Dashboard } from "./dashboard.tsx";
import { CreateGroup, GroupDetail, GroupsList } from "./groups.tsx";
import { CreatePolicy, PoliciesList, PolicyDetail } from "./policies.tsx";
import { CreateRole, RoleDetail, RolesList } from "./roles.tsx";
import { AccountSettings, SecurityCredentials } from "./settings.tsx";
import { CreateUser, UserDetail, UsersList } from "./users.tsx";

export default function Page({ path }: ServicePageProps) {
  const [section, a, b] = path;
  if (!section) return <Dashboard />;
  if (section === "users") {
    if (!a) return <UsersList />;
    if (a === "create") return <CreateUser />;
    if (a === "details" && b) return <UserDetail key={b} name={seg(b)} />;
  }
  if (section === "groups") {
    if (!a) return <GroupsList />;
    if (a === "create") return <CreateGroup />;
    if (a === "details" && b) return <GroupDetail key={b} name={seg(b)} />;
  }
  if (section === "roles") {
    if (!a) return <RolesList />;
    if (a === "create") return <CreateRole />;
    if (a === "details" && b) return <RoleDetail key={b} name={seg(b)} />;
  }
  if (section === "policies") {
    if (!a) return <PoliciesList />;
    if (a === "create") return <CreatePolicy />;
    if (a === "details" && b) return <PolicyDetail key={b} arn={seg(path.slice(2).join("/"))} />;
  }
  if (section === "account-settings") return <AccountSettings />;
  if (section === "security-credentials") return <SecurityCredentials />;
  return <NotFound path={path} />;
}

function NotFound({ path }: { path: string[] }) {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Not found" }]);
  return (
    <>
      <IamNav current="-" />
      <PageHeader title="Page not found" description={`There is no IAM page at iam/${path.join("/")}.`} />
      <Link to="iam">Go to the IAM dashboard</Link>
    </>
  );
}
