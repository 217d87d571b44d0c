/** One function: overview and tabs (Code, Test, Monitor, Configuration, Triggers); delete. */
import { useState } from "react";
import { GetFunctionCommand, type GetFunctionCommandOutput } from "@aws-sdk/client-lambda";
import { Link, navigate, useQuery } from "../../router.tsx";
import { ErrorAlert, formatBytes, formatDate, KeyValue, PageHeader, Panel, Spinner, StatusBadge, Tabs, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { DeleteFunctionDialog } from "./functions.tsx";
import { lambda } from "./shared.ts";
import { CodeTab } from "./tab-code.tsx";
import { TestTab } from "./tab-test.tsx";
import { MonitorTab, logGroupPath } from "./tab-monitor.tsx";
import { ConfigurationTab } from "./tab-config.tsx";
import { TriggersTab } from "./tab-triggers.tsx";

const TABS = [
  { id: "code", label: "Code" },
  { id: "test", label: "Test" },
  { id: "monitor", label: "Monitor" },
  { id: "configuration", label: "Configuration" },
  { id: "triggers", label: "Triggers" },
];

export function FunctionDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "Lambda", to: "lambda" }, { label: "Functions", to: "lambda" }, { label: name }]);
  const query = useQuery();
  const fromUrl = TABS.some((t) => t.id === query.get("tab")) ? query.get("tab")! : "code";
  // Kept in state too: the router re-renders on path changes, not on query-only changes.
  const [tab, setTab] = useState(fromUrl);
  const fn = useAsync(() => lambda().send(new GetFunctionCommand({ FunctionName: name })), [name]);
  const [deleting, setDeleting] = useState(false);
  const cfg = fn.data?.Configuration;
  const logGroup = cfg?.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;

  return (
    <>
      <PageHeader
        title={name}
        description={cfg?.Description || undefined}
        actions={
          <>
            <button type="button" className="btn" onClick={fn.reload}>
              Refresh
            </button>
            <button type="button" className="btn" onClick={() => setDeleting(true)} disabled={!cfg}>
              Delete function
            </button>
          </>
        }
      />
      {fn.error ? (
        <ErrorAlert error={fn.error} onRetry={fn.reload} />
      ) : !cfg ? (
        <Spinner label="Loading function" />
      ) : (
        <>
          <Panel title="Function overview">
            <KeyValue
              items={[
                ["ARN", <span className="arn">{cfg.FunctionArn}</span>],
                ["Runtime", cfg.Runtime],
                ["Handler", <code>{cfg.Handler}</code>],
                ["State", <StatusBadge kind={cfg.State === "Active" ? "ok" : cfg.State === "Failed" ? "error" : "neutral"}>{cfg.State ?? "Active"}</StatusBadge>],
                ["Memory", `${cfg.MemorySize} MB`],
                ["Timeout", `${cfg.Timeout} s`],
                ["Package size", formatBytes(cfg.CodeSize)],
                ["Last modified", formatDate(cfg.LastModified)],
                ["Execution role", <span className="arn">{cfg.Role}</span>],
                ["Log group", <Link to={logGroupPath(logGroup)}>{logGroup}</Link>],
              ]}
            />
          </Panel>
          {/* On white: the shared tab colour is under 4.5:1 on the grey page background. */}
          <div style={{ background: "#fff", borderRadius: 12, padding: "4px 12px 0", marginBottom: 14 }}>
          <Tabs tabs={TABS} active={tab} onChange={(t) => {
              setTab(t);
              history.replaceState(null, "", `${location.pathname}?tab=${t}`);
            }} />
          </div>
          <div role="tabpanel" aria-labelledby={`tab-${tab}`}>
            <TabBody tab={tab} fn={fn.data!} reload={fn.reload} />
          </div>
        </>
      )}
      {deleting && <DeleteFunctionDialog name={name} onClose={() => setDeleting(false)} onDeleted={() => navigate("lambda")} />}
    </>
  );
}

function TabBody({ tab, fn, reload }: { tab: string; fn: GetFunctionCommandOutput; reload: () => void }) {
  const name = fn.Configuration!.FunctionName!;
  switch (tab) {
    case "test":
      return <TestTab name={name} />;
    case "monitor":
      return <MonitorTab name={name} logGroup={fn.Configuration!.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`} />;
    case "configuration":
      return <ConfigurationTab fn={fn} reload={reload} />;
    case "triggers":
      return <TriggersTab name={name} />;
    default:
      return <CodeTab fn={fn} reload={reload} />;
  }
}
