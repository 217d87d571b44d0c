/**
 * The mailbox: every message SES (and SNS email subscriptions) sent for this account, read from
 * the console's GET /_nimbus/console/api/ses/messages (the signed-in account's mail only). HTML bodies are shown in a sandboxed iframe (no scripts,
 * no same-origin access); text bodies as text.
 */
import { useState } from "react";
import { Link } from "../../router.tsx";
import { get } from "../../session.ts";
import { ErrorAlert, KeyValue, PageHeader, Panel, ResourceTable, Spinner, StatusBadge, Tabs, formatDate, useAsync, useBreadcrumbs } from "../../ui/index.ts";

export interface MailMessage {
  id: string;
  messageId: string;
  source: "ses" | "sns";
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo?: string[];
  subject: string;
  text?: string;
  html?: string;
  raw: string;
  timestamp: string;
  region: string;
  account: string;
}

class MailboxError extends Error {}

/** This account's messages, newest first (the server answers only the session's account). */
async function fetchMailbox(): Promise<MailMessage[]> {
  return (await get<MailMessage[]>("ses/messages")).reverse();
}

export function Mailbox() {
  const mail = useAsync(fetchMailbox);
  return (
    <>
      <PageHeader
        title="Mailbox"
        count={mail.data?.length}
        description="Messages this account sent through SES and SNS email subscriptions, in every region. Nothing leaves Nimbus."
        actions={
          <button type="button" className="btn" onClick={mail.reload}>
            Refresh
          </button>
        }
      />
      <Panel>
        <ResourceTable
          resourceName="messages"
          items={mail.data}
          loading={mail.loading}
          error={mail.error}
          onRetry={mail.reload}
          rowKey={(m) => m.id}
          defaultSort={{ column: "time", descending: true }}
          columns={[
            { id: "subject", header: "Subject", sortValue: (m) => m.subject, cell: (m) => <Link to={`ses/mailbox/${encodeURIComponent(m.id)}`}>{m.subject || "(no subject)"}</Link> },
            { id: "from", header: "From", sortValue: (m) => m.from },
            { id: "to", header: "To", sortValue: (m) => m.to.join(", ") },
            { id: "source", header: "Sent by", sortValue: (m) => m.source, cell: (m) => <StatusBadge kind="neutral">{m.source === "sns" ? "SNS" : "SES"}</StatusBadge> },
            { id: "region", header: "Region", sortValue: (m) => m.region },
            { id: "time", header: "Time", sortValue: (m) => Date.parse(m.timestamp), cell: (m) => formatDate(m.timestamp) },
          ]}
          empty={
            <p>
              No messages yet. <Link to="ses/send">Send a test email</Link>.
            </p>
          }
        />
      </Panel>
    </>
  );
}

export function MailboxMessage({ id }: { id: string }) {
  useBreadcrumbs([{ label: "Simple Email Service", to: "ses" }, { label: "Mailbox", to: "ses/mailbox" }, { label: "Message" }]);
  const mail = useAsync(fetchMailbox);
  const m = mail.data?.find((x) => x.id === id);
  const [tab, setTab] = useState<string | undefined>();
  if (mail.error) return <ErrorAlert error={mail.error} onRetry={mail.reload} />;
  if (!mail.data) return <Spinner label="Loading the message" />;
  if (!m) return <ErrorAlert error={new MailboxError(`There is no message ${id} in this account's mailbox.`)} />;
  const tabs = [...(m.html ? [{ id: "html", label: "HTML" }] : []), ...(m.text !== undefined ? [{ id: "text", label: "Text" }] : []), { id: "raw", label: "Raw message" }];
  const active = tab && tabs.some((t) => t.id === tab) ? tab : tabs[0]!.id;
  return (
    <>
      <PageHeader title={m.subject || "(no subject)"} description={`From ${m.from}`} />
      <Panel title="Details">
        <KeyValue
          items={[
            ["From", m.from],
            ["To", m.to.join(", ")],
            ["Cc", m.cc.join(", ")],
            ["Bcc", m.bcc.join(", ")],
            ["Reply-To", m.replyTo?.join(", ")],
            ["Sent", formatDate(m.timestamp)],
            ["Sent by", m.source === "sns" ? "SNS email subscription" : "SES"],
            ["Region", m.region],
            ["Message ID", <code>{m.messageId}</code>],
          ]}
        />
      </Panel>
      <Panel title="Body">
        <Tabs tabs={tabs} active={active} onChange={setTab} />
        <div role="tabpanel" aria-labelledby={`tab-${active}`}>
          {active === "html" && (
            // sandbox="" : no scripts, no forms, no same-origin access; the console's CSP still applies.
            <iframe title="HTML body" sandbox="" srcDoc={m.html} style={{ width: "100%", minHeight: 360, border: "1px solid #d1d5db", borderRadius: 6, background: "#fff" }} />
          )}
          {active === "text" && <pre style={preStyle}>{m.text}</pre>}
          {active === "raw" && <pre style={{ ...preStyle, fontSize: 12 }}>{m.raw}</pre>}
        </div>
      </Panel>
    </>
  );
}

const preStyle = { whiteSpace: "pre-wrap", wordBreak: "break-word", background: "#f4f4f4", padding: 12, borderRadius: 6, margin: 0, fontFamily: "Monaco, Menlo, Consolas, monospace", fontSize: 13 } as const;
