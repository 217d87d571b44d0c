/** CloudWatch overview: alarms by state, the ones in alarm, and where to go next. */
import { paginateDescribeAlarms, type CompositeAlarm, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { Link } from "../../router.tsx";
import { ErrorAlert, formatDate, PageHeader, Panel, Spinner, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { alarmPath, AlarmState, CloudWatchNav, cw } from "./nav.tsx";

export async function listAlarms(): Promise<Array<MetricAlarm | CompositeAlarm>> {
  const out: Array<MetricAlarm | CompositeAlarm> = [];
  for await (const page of paginateDescribeAlarms({ client: cw() }, { AlarmTypes: ["MetricAlarm", "CompositeAlarm"] })) out.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
  return out;
}

export function Overview() {
  useBreadcrumbs([{ label: "CloudWatch" }, { label: "Overview" }]);
  const alarms = useAsync(listAlarms);
  const count = (s: string) => (alarms.data ?? []).filter((a) => a.StateValue === s).length;
  const firing = (alarms.data ?? []).filter((a) => a.StateValue === "ALARM");
  return (
    <>
      <PageHeader title="CloudWatch" description="Metrics, alarms, dashboards and logs of this region." />
      <CloudWatchNav current="" />
      <Panel
        title="Alarms by state"
        actions={
          <button type="button" className="btn" onClick={alarms.reload}>
            Refresh
          </button>
        }
      >
        {alarms.error ? (
          <ErrorAlert error={alarms.error} onRetry={alarms.reload} />
        ) : !alarms.data ? (
          <Spinner label="Loading alarms" />
        ) : (
          <>
            <ul className="service-grid" aria-label="Alarm counts">
              {[
                ["ALARM", "In alarm"],
                ["INSUFFICIENT_DATA", "Insufficient data"],
                ["OK", "OK"],
              ].map(([state, label]) => (
                <li key={state}>
                  <Link to={`cloudwatch/alarms?state=${state}`}>
                    <strong style={{ fontSize: 28 }}>{count(state!)}</strong>
                    <span>{label}</span>
                  </Link>
                </li>
              ))}
            </ul>
            {firing.length > 0 && (
              <>
                <h3>In alarm</h3>
                <ul>
                  {firing.map((a) => (
                    <li key={a.AlarmName}>
                      <Link to={alarmPath(a.AlarmName!)}>{a.AlarmName}</Link> <AlarmState state={a.StateValue} /> <span className="muted">since {formatDate(a.StateUpdatedTimestamp)}</span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </Panel>
      <Panel title="Explore">
        <ul className="service-grid">
          <li>
            <Link to="cloudwatch/metrics">
              Metrics<span>Browse namespaces and chart up to five metrics.</span>
            </Link>
          </li>
          <li>
            <Link to="cloudwatch/alarms">
              Alarms<span>Watch a metric against a threshold; notify an SNS topic.</span>
            </Link>
          </li>
          <li>
            <Link to="cloudwatch/dashboards">
              Dashboards<span>Charts of metrics, saved as JSON.</span>
            </Link>
          </li>
          <li>
            <Link to="cloudwatch/logs">
              Logs<span>Log groups, streams and events, with a filter box.</span>
            </Link>
          </li>
        </ul>
      </Panel>
    </>
  );
}
