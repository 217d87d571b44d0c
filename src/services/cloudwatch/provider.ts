/**
 * CloudWatch metric handlers.
 *
 * ## Gaps
 * - PutMetricData and ListMetrics only; statistics, alarms and dashboards arrive with the
 *   CloudWatch issue (501 NotImplemented until then). `ListMetrics` ignores OwningAccount.
 * ## Client quirks
 * - Answers the query protocol (AWS CLI before 2.x JSON support), awsJson 1.0 (current SDKs)
 *   and Smithy RPC v2 CBOR, all from the same handlers.
 */
import type { CloudwatchOperations } from "../../generated/cloudwatch.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { CloudWatchErrors } from "./errors.js";
import { MetricStore, type DatapointRecord, type Dimension } from "./store.js";

const LIST_PAGE = 500;
const store = (ctx: RequestContext) => new MetricStore(ctx.storage.metadata, ctx.scope);

function checkDimensions(dims: Dimension[] | undefined, path: string): Dimension[] {
  const list = dims ?? [];
  if (list.length > 30) {
    throw new ServiceError(CloudWatchErrors.InvalidParameterValue, `The collection ${path}.Dimensions must not have more than 30 members.`);
  }
  return list.map((d) => ({ Name: d.Name, Value: d.Value }));
}

export const handlers: Partial<CloudwatchOperations> = {
  async PutMetricData(ctx, input) {
    if (input.Namespace.startsWith("AWS/")) {
      throw new ServiceError(
        CloudWatchErrors.InvalidParameterValue,
        `The value ${input.Namespace} for parameter Namespace is invalid.`,
      );
    }
    if (input.MetricData.length > 1000) {
      throw new ServiceError(CloudWatchErrors.InvalidParameterValue, "The collection MetricData must not have a size greater than 1000.");
    }
    const now = ctx.clock.now();
    const points = input.MetricData.map((m, i) => {
      const path = `MetricData.member.${i + 1}`;
      const given = [m.Value !== undefined, m.StatisticValues !== undefined, m.Values !== undefined].filter(Boolean).length;
      if (given > 1) {
        throw new ServiceError(
          CloudWatchErrors.InvalidParameterCombination,
          `The parameters ${path}.Value, ${path}.StatisticValues and ${path}.Values are mutually exclusive and you have specified more than one.`,
        );
      }
      if (m.Values && m.Counts && m.Values.length !== m.Counts.length) {
        throw new ServiceError(CloudWatchErrors.InvalidParameterValue, `The parameters ${path}.Values and ${path}.Counts must be of the same size.`);
      }
      const point: DatapointRecord = {
        timestamp: (m.Timestamp ?? now).toISOString(),
        values: m.Value !== undefined ? [m.Value] : (m.Values ?? []),
        storageResolution: m.StorageResolution ?? 60,
        ...(m.Unit ? { unit: m.Unit } : {}),
        ...(m.Counts ? { counts: m.Counts } : {}),
        ...(m.StatisticValues ? { stats: m.StatisticValues } : {}),
      };
      return {
        metric: { Namespace: input.Namespace, MetricName: m.MetricName, Dimensions: checkDimensions(m.Dimensions, path) },
        point,
      };
    });
    await store(ctx).putData(points);
  },

  async ListMetrics(ctx, input) {
    let after: string | undefined;
    if (input.NextToken) {
      try {
        after = Buffer.from(input.NextToken, "base64url").toString("utf8");
      } catch {
        throw new ServiceError(CloudWatchErrors.InvalidNextToken);
      }
    }
    const recentSince =
      input.RecentlyActive === "PT3H" ? new Date(ctx.clock.nowMs() - 3 * 3600 * 1000).toISOString() : undefined;
    const wanted = input.Dimensions ?? [];
    const out: Array<{ Namespace: string; MetricName: string; Dimensions: Dimension[] }> = [];
    let last: string | undefined;
    // Scan in key order (namespace first), filtering; stop once a page is full.
    const prefix = input.Namespace !== undefined ? `${input.Namespace}\u0000` : undefined;
    for (;;) {
      const batch = await store(ctx)
        .metrics()
        .list({ ...(prefix ? { prefix } : {}), ...(after ? { after } : {}), limit: 1000 });
      for (const { key, value } of batch) {
        after = key;
        if (input.MetricName !== undefined && value.MetricName !== input.MetricName) continue;
        if (recentSince && value.lastPut < recentSince) continue;
        const ok = wanted.every((w) =>
          value.Dimensions.some((d) => d.Name === w.Name && (w.Value === undefined || d.Value === w.Value)),
        );
        if (!ok) continue;
        out.push({ Namespace: value.Namespace, MetricName: value.MetricName, Dimensions: value.Dimensions });
        last = key;
        if (out.length === LIST_PAGE) break;
      }
      if (out.length === LIST_PAGE || batch.length < 1000) break;
    }
    const more = out.length === LIST_PAGE;
    return { Metrics: out, ...(more && last ? { NextToken: Buffer.from(last, "utf8").toString("base64url") } : {}) };
  },
};
