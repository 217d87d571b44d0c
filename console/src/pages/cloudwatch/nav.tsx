/** CloudWatch's section links and small shared helpers. */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { client } from "../../aws.ts";
import { Link } from "../../router.tsx";
import { StatusBadge } from "../../ui/index.ts";

export const cw = () => client(CloudWatchClient);
export const logs = () => client(CloudWatchLogsClient);

const SECTIONS = [
  { id: "", label: "Overview" },
  { id: "metrics", label: "Metrics" },
  { id: "alarms", label: "Alarms" },
  { id: "dashboards", label: "Dashboards" },
  { id: "logs", label: "Logs" },
];

/** Section links on a white bar (the page background is too dark for link text at 4.5:1). */
export function CloudWatchNav({ current }: { current: string }) {
  return (
    <nav aria-label="CloudWatch" style={{ background: "#fff", borderRadius: 12, padding: "8px 14px", marginBottom: 14, display: "flex", gap: 16, flexWrap: "wrap" }}>
      {SECTIONS.map((s) => (
        <Link key={s.id} to={s.id ? `cloudwatch/${s.id}` : "cloudwatch"} aria-current={s.id === current ? "page" : undefined} style={{ fontWeight: s.id === current ? 700 : 400, textDecoration: s.id === current ? "none" : undefined }}>
          {s.label}
        </Link>
      ))}
    </nav>
  );
}

/** Decode a path segment that may hold escaped characters (never throws). */
export function segment(s: string | undefined): string {
  if (s === undefined) return "";
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function alarmPath(name: string): string {
  return `cloudwatch/alarms/${encodeURIComponent(name)}`;
}
export function groupPath(group: string): string {
  return `cloudwatch/logs/${encodeURIComponent(group)}`;
}
export function streamPath(group: string, stream: string): string {
  return `${groupPath(group)}/${encodeURIComponent(stream)}`;
}

export function AlarmState({ state }: { state: string | undefined }) {
  const kind = state === "ALARM" ? "error" : state === "OK" ? "ok" : "neutral";
  const label = state === "INSUFFICIENT_DATA" ? "Insufficient data" : state === "ALARM" ? "In alarm" : state === "OK" ? "OK" : (state ?? "-");
  return <StatusBadge kind={kind}>{label}</StatusBadge>;
}

export const COMPARISONS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: ">=",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};
