/**
 * SES: verified identities (create, delete), a send-a-test-email form, and the mailbox of sent
 * messages (Nimbus keeps every message SES accepts; the console reads the signed-in account's).
 * Routes: ses, ses/identities, ses/send, ses/mailbox, ses/mailbox/<id>.
 */
import { useState } from "react";
import { CreateEmailIdentityCommand, DeleteEmailIdentityCommand, ListEmailIdentitiesCommand, SESv2Client, SendEmailCommand, type IdentityInfo } from "@aws-sdk/client-sesv2";
import { client } from "../../aws.ts";
import { navigate } from "../../router.tsx";
import type { ServicePageProps } from "../../services.ts";
import { Alert, ConfirmDialog, ErrorAlert, Field, Modal, PageHeader, Panel, ResourceTable, SelectField, StatusBadge, Tabs, TextField, notify, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { Mailbox, MailboxMessage } from "./mailbox.tsx";

const ses = () => client(SESv2Client);

/** Tabs on a white strip: the shell's blue on the grey page is below 4.5:1 contrast. */
const tabStrip = { background: "#fff", borderRadius: 8, padding: "0 8px", marginBottom: 14 } as const;

const NAV = [
  { id: "identities", label: "Identities" },
  { id: "send", label: "Send test email" },
  { id: "mailbox", label: "Mailbox" },
];

export default function Page({ path }: ServicePageProps) {
  const section = NAV.some((n) => n.id === path[0]) ? path[0]! : "identities";
  if (section === "mailbox" && path[1]) return <MailboxMessage id={path[1]} />;
  const title = NAV.find((n) => n.id === section)!.label;
  return (
    <SesSection section={section} title={title}>
      {section === "identities" && <Identities />}
      {section === "send" && <SendEmail />}
      {section === "mailbox" && <Mailbox />}
    </SesSection>
  );
}

function SesSection({ section, title, children }: { section: string; title: string; children: React.ReactNode }) {
  useBreadcrumbs([{ label: "Simple Email Service" }, { label: title }]);
  return (
    <>
      <div style={tabStrip}>
        <Tabs tabs={NAV} active={section} onChange={(id) => navigate(id === "identities" ? "ses" : `ses/${id}`)} />
      </div>
      <div role="tabpanel" aria-labelledby={`tab-${section}`}>
        {children}
      </div>
    </>
  );
}

export async function listIdentities(): Promise<IdentityInfo[]> {
  const out: IdentityInfo[] = [];
  let token: string | undefined;
  do {
    const r = await ses().send(new ListEmailIdentitiesCommand({ NextToken: token, PageSize: 1000 }));
    out.push(...(r.EmailIdentities ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

function statusBadge(s: string | undefined) {
  return <StatusBadge kind={s === "SUCCESS" ? "ok" : s === "PENDING" || s === "TEMPORARY_FAILURE" ? "warn" : s === "FAILED" ? "error" : "neutral"}>{s === "SUCCESS" ? "Verified" : (s ?? "-")}</StatusBadge>;
}

function Identities() {
  const ids = useAsync(listIdentities);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<IdentityInfo>[] = [
    { id: "IdentityName", header: "Identity" },
    { id: "IdentityType", header: "Type", cell: (i) => (i.IdentityType === "EMAIL_ADDRESS" ? "Email address" : i.IdentityType === "DOMAIN" ? "Domain" : (i.IdentityType ?? "-")) },
    { id: "VerificationStatus", header: "Status", cell: (i) => statusBadge(i.VerificationStatus) },
    { id: "SendingEnabled", header: "Sending", sortValue: (i) => (i.SendingEnabled ? "Enabled" : "Disabled"), cell: (i) => (i.SendingEnabled ? "Enabled" : "Disabled") },
  ];
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create identity
    </button>
  );
  return (
    <>
      <PageHeader
        title="Identities"
        count={ids.data?.length}
        description="Email addresses and domains this account may send from in this region. Nimbus verifies them at once."
        actions={
          <>
            <button type="button" className="btn" onClick={ids.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!selected[0]} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {createButton}
          </>
        }
      />
      <Panel>
        <ResourceTable
          resourceName="identities"
          items={ids.data}
          loading={ids.loading}
          error={ids.error}
          onRetry={ids.reload}
          columns={columns}
          rowKey={(i) => i.IdentityName!}
          selection="single"
          selected={selected}
          onSelectionChange={setSelected}
          defaultSort={{ column: "IdentityName" }}
          empty={
            <>
              <p>No identities in this region.</p>
              {createButton}
            </>
          }
        />
      </Panel>
      {creating && (
        <CreateIdentity
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            ids.reload();
          }}
        />
      )}
      {deleting && selected[0] && (
        <ConfirmDialog
          title={`Delete identity ${selected[0]}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await ses().send(new DeleteEmailIdentityCommand({ EmailIdentity: selected[0] }));
            notify(`Identity ${selected[0]} deleted`);
            setSelected([]);
            ids.reload();
          }}
        >
          <p>This account can no longer send from {selected[0]} until it is verified again.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateIdentity({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [type, setType] = useState("email");
  const [value, setValue] = useState("");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const v = value.trim();
  const problem = type === "email" ? (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? "Enter an email address, like sender@example.com." : undefined) : !/^([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$/.test(v) ? "Enter a domain, like example.com." : undefined;
  return (
    <Modal
      title="Create identity"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-identity" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create identity"}
          </button>
        </>
      }
    >
      <form
        id="create-identity"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (problem) return;
          setBusy(true);
          setError(undefined);
          try {
            const r = await ses().send(new CreateEmailIdentityCommand({ EmailIdentity: v }));
            notify(r.VerifiedForSendingStatus ? `${v} is verified` : `${v} created: verification pending`);
            onCreated();
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        }}
      >
        <SelectField
          label="Identity type"
          value={type}
          onChange={setType}
          options={[
            { value: "email", label: "Email address" },
            { value: "domain", label: "Domain" },
          ]}
        />
        <TextField label={type === "email" ? "Email address" : "Domain"} value={value} onChange={setValue} error={tried ? problem : undefined} autoComplete="off" />
        <ErrorAlert error={error} />
      </form>
    </Modal>
  );
}

function SendEmail() {
  const ids = useAsync(listIdentities);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [cc, setCc] = useState("");
  const [subject, setSubject] = useState("");
  const [text, setText] = useState("");
  const [html, setHtml] = useState("");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sentId, setSentId] = useState<string | undefined>();
  const list = (s: string) =>
    s
      .split(/[,;\n]/)
      .map((x) => x.trim())
      .filter(Boolean);
  const email = /^[^@\s]+@[^@\s]+$/;
  const errors = {
    from: !email.test(from.trim()) ? "Enter the sender's address (a verified identity, or an address at a verified domain)." : undefined,
    to: list(to).length === 0 ? "Enter at least one recipient." : list(to).some((a) => !email.test(a)) ? "Separate addresses with commas." : undefined,
    cc: list(cc).some((a) => !email.test(a)) ? "Separate addresses with commas." : undefined,
    subject: !subject.trim() ? "Enter a subject." : undefined,
    body: !text.trim() && !html.trim() ? "Enter a text or an HTML body." : undefined,
  };
  const valid = Object.values(errors).every((e) => !e);
  const verified = (ids.data ?? []).filter((i) => i.VerificationStatus === "SUCCESS" && i.IdentityType === "EMAIL_ADDRESS").map((i) => i.IdentityName!);
  return (
    <>
      <PageHeader title="Send test email" description="Send a message through SES (v2 SendEmail). It lands in the Mailbox." />
      <Panel>
        {ids.error ? <ErrorAlert error={ids.error} onRetry={ids.reload} /> : null}
        <Alert kind="info">While the account is in the SES sandbox, recipients must be verified identities too.</Alert>
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setTried(true);
            if (!valid) return;
            setBusy(true);
            setError(undefined);
            try {
              const r = await ses().send(
                new SendEmailCommand({
                  FromEmailAddress: from.trim(),
                  Destination: { ToAddresses: list(to), ...(list(cc).length ? { CcAddresses: list(cc) } : {}) },
                  Content: { Simple: { Subject: { Data: subject, Charset: "UTF-8" }, Body: { ...(text.trim() ? { Text: { Data: text, Charset: "UTF-8" } } : {}), ...(html.trim() ? { Html: { Data: html, Charset: "UTF-8" } } : {}) } } },
                }),
              );
              setSentId(r.MessageId);
              notify("Email sent");
              setTried(false);
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <TextField label="From" value={from} onChange={setFrom} error={tried ? errors.from : undefined} list="ses-verified" autoComplete="off" hint={verified.length ? `Verified: ${verified.slice(0, 5).join(", ")}${verified.length > 5 ? "…" : ""}` : undefined} />
          <datalist id="ses-verified">
            {verified.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
          <TextField label="To" value={to} onChange={setTo} error={tried ? errors.to : undefined} hint="Separate several addresses with commas." />
          <TextField label="Cc (optional)" value={cc} onChange={setCc} error={tried ? errors.cc : undefined} />
          <TextField label="Subject" value={subject} onChange={setSubject} error={tried ? errors.subject : undefined} />
          <Field label="Text body" error={tried ? errors.body : undefined}>
            {(id, d) => <textarea id={id} rows={6} aria-describedby={d} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
          <Field label="HTML body (optional)">
            {(id, d) => <textarea id={id} rows={6} className="code" aria-describedby={d} value={html} onChange={(e) => setHtml(e.target.value)} />}
          </Field>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Sending…" : "Send email"}
          </button>
          <ErrorAlert error={error} />
          {sentId && (
            <Alert kind="success" title="Email sent">
              Message ID <code>{sentId}</code>.{" "}
              <button type="button" className="link-button" onClick={() => navigate("ses/mailbox")}>
                Open the mailbox
              </button>
            </Alert>
          )}
        </form>
      </Panel>
    </>
  );
}
