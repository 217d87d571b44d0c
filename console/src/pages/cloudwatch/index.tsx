import type { ServicePageProps } from "../../services.ts";
import { AlarmDetail, AlarmsList, CreateAlarmPage } from "./alarms.tsx";
import { DashboardView, DashboardsList } from "./dashboards.tsx";
import { LogGroupPage, LogGroupsList, LogStreamPage } from "./logs.tsx";
import { MetricsExplorer } from "./metrics.tsx";
import { Overview } from "./overview.tsx";
import { segment } from "./nav.tsx";

export default function Page({ path }: ServicePageProps) {
  const [section, a, b] = path;
  switch (section) {
    case "metrics":
      return <MetricsExplorer />;
    case "alarms":
      if (a === "create") return <CreateAlarmPage />;
      if (a) return <AlarmDetail name={segment(a)} />;
      return <AlarmsList />;
    case "dashboards":
      if (a) return <DashboardView name={segment(a)} />;
      return <DashboardsList />;
    case "logs":
      if (a && b) return <LogStreamPage group={segment(a)} stream={segment(b)} />;
      if (a) return <LogGroupPage group={segment(a)} />;
      return <LogGroupsList />;
    default:
      return <Overview />;
  }
}
