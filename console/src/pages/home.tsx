import { Link } from "../router.tsx";
import { sessionState } from "../session.ts";
import { SERVICES } from "../services.ts";
import { PageHeader, Panel, useBreadcrumbs } from "../ui/index.ts";

export function Home() {
  useBreadcrumbs([]);
  const id = sessionState().identity;
  return (
    <>
      <PageHeader title="Console home" description={id ? `Signed in to account ${id.accountAlias ? `${id.accountAlias} (${id.account})` : id.account} as ${id.type === "root" ? "the root user" : id.userName}.` : undefined} />
      {id?.type === "root" && !id.mfa && (
        <Panel title="Security">
          <p>
            The root user has full access to the account. <Link to="iam">Review the IAM security recommendations</Link>: add MFA to the root user and use IAM users for everyday work.
          </p>
        </Panel>
      )}
      <Panel title="Services">
        <ul className="service-grid">
          {SERVICES.map((s) => (
            <li key={s.id}>
              <Link to={s.id}>
                <strong>{s.name}</strong>
                <span>{s.description}</span>
              </Link>
            </li>
          ))}
        </ul>
      </Panel>
    </>
  );
}
