/**
 * AWS CloudTrail handlers: Event history (`LookupEvents` over the last 90 days of management
 * events) and trails (create/get/describe/list/update/delete, start/stop logging, status, event
 * selectors, tags), delivering log files to S3, each event to a CloudWatch Logs group (stream
 * `<account>_CloudTrail_<region>`) and a notification of each log file to an SNS topic.
 *
 * ## Gaps
 * - Log files are delivered to the trail's S3 bucket only when S3 takes service deliveries (the
 *   `s3` bus target); log file validation digests and Insights are not produced.
 * - CloudWatch Logs delivery checks that the role exists and trusts cloudtrail.amazonaws.com, not
 *   that its policies allow logs:CreateLogStream/PutLogEvents; events go to the log group in the
 *   same five-minute rounds as the S3 log files (AWS sends them within minutes, separately), and a
 *   round whose S3 delivery fails sends nothing to CloudWatch Logs either, so neither repeats.
 * - The SNS topic is not checked at CreateTrail (AWS: InsufficientSnsTopicPolicyException); a
 *   topic policy that refuses cloudtrail.amazonaws.com shows as LatestNotificationError.
 * - Lake (event data stores, queries), channels and organization trails answer 501.
 * - `responseElements` is always null (AWS fills it for some mutating calls).
 *
 * ## By design
 * - Every request through Nimbus's gateway is recorded, including failed and denied ones, with
 *   secrets redacted by the gateway (passwords, secret keys, session tokens, MFA codes).
 * - Data events (S3 object calls, DynamoDB item calls, Lambda Invoke, SQS messages, SNS Publish)
 *   are not in Event history, as on AWS; they are recorded only while a trail of the account
 *   selects data events.
 */
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { CloudtrailOperations } from "../../generated/cloudtrail.js";
import { getRoleByArn, trustsService } from "../iam/principals.js";
import { logGroupOf } from "./destinations.js";
import { tables as logsTables } from "../logs/store.js";
import { mayWrite } from "../s3/service-writes.js";
import { BucketStore } from "../s3/store.js";
import { CloudTrailErrors } from "./errors.js";
import { batchTable, eventKey, tagsTable, trailsTable, type EventRow, type EventSelector, type TrailRecord } from "./store.js";
import { recorderFor, refreshDataSelectors } from "./recording.js";

const DAY = 86_400_000;
const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;
const LOOKUP_KEYS = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];

const trailArn = (ctx: RequestContext, name: string) => `arn:aws:cloudtrail:${ctx.region}:${ctx.account}:trail/${name}`;
const topicArn = (ctx: RequestContext, nameOrArn: string) => (nameOrArn.startsWith("arn:") ? nameOrArn : `arn:aws:sns:${ctx.region}:${ctx.account}:${nameOrArn}`);
const trailNameOf = (nameOrArn: string) => /:trail\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;

async function findTrail(ctx: RequestContext, nameOrArn: string): Promise<TrailRecord> {
  const name = trailNameOf(nameOrArn);
  const trail = await trailsTable(ctx.storage.metadata, ctx.scope).get(name);
  if (!trail) throw new ServiceError(CloudTrailErrors.TrailNotFoundException, `Unknown trail: ${trailArn(ctx, name)} for the user: ${ctx.account}`);
  return trail;
}

function trailOut(t: TrailRecord) {
  const out: Record<string, unknown> = { ...t };
  // Internal delivery state (lower-case fields) and selectors are not part of a trail's description.
  for (const k of Object.keys(out)) if (/^[a-z]/.test(k)) delete out[k];
  delete out.EventSelectors;
  delete out.AdvancedEventSelectors;
  return out as Omit<TrailRecord, "logging" | "EventSelectors" | "AdvancedEventSelectors">;
}

/** CloudTrail needs the bucket to exist and its policy to let cloudtrail.amazonaws.com write the account's logs. */
async function checkBucket(ctx: RequestContext, bucketName: string, prefix: string | undefined): Promise<void> {
  const bucket = await new BucketStore(ctx.storage.metadata).get(bucketName);
  if (!bucket) throw new ServiceError(CloudTrailErrors.S3BucketDoesNotExistException, `S3 bucket ${bucketName} does not exist.`);
  const key = `${prefix ? `${prefix}/` : ""}AWSLogs/${ctx.account}/CloudTrail/${ctx.region}/x.json.gz`;
  const allowed = await mayWrite(ctx.storage.metadata, bucket, key, {
    servicePrincipal: "cloudtrail.amazonaws.com",
    account: ctx.account,
    sourceArn: trailArn(ctx, "x").replace(/x$/, ""),
  });
  if (!allowed) throw new ServiceError(CloudTrailErrors.InsufficientS3BucketPolicyException, `Incorrect S3 bucket policy is detected for bucket: ${bucketName}`);
}

/** CloudTrail's checks of a CloudWatch Logs destination: both ARNs, an existing group of the trail's region, a role CloudTrail can assume. */
async function checkCloudWatchLogs(ctx: RequestContext, groupArn: string | undefined, roleArn: string | undefined): Promise<void> {
  if (!groupArn && !roleArn) return;
  if (!roleArn) throw new ServiceError(CloudTrailErrors.InvalidCloudWatchLogsRoleArnException, "You must specify a role ARN as well as a log group.");
  if (!groupArn) throw new ServiceError(CloudTrailErrors.InvalidCloudWatchLogsLogGroupArnException, "You must specify a log group as well as a role ARN.");
  const g = logGroupOf(groupArn);
  const exists = g && g.region === ctx.region && g.account === ctx.account && (await logsTables(ctx.storage.metadata, { account: g.account, region: g.region, service: "logs" }).groups.get(g.name));
  if (!exists) throw new ServiceError(CloudTrailErrors.InvalidCloudWatchLogsLogGroupArnException, "CloudTrail cannot validate the specified log group ARN.");
  const role = await getRoleByArn(ctx.storage.metadata, roleArn);
  if (!role || !trustsService(role.trustPolicy, "cloudtrail.amazonaws.com")) {
    throw new ServiceError(CloudTrailErrors.InvalidCloudWatchLogsRoleArnException, "Access denied. Check the trust relationships for your role.");
  }
}

function validateSelectors(selectors: EventSelector[]): void {
  if (selectors.length > 5) throw new ServiceError(CloudTrailErrors.InvalidEventSelectorsException, "You can have no more than 5 event selectors.");
  for (const s of selectors) {
    if (s.ReadWriteType && !["ReadOnly", "WriteOnly", "All"].includes(s.ReadWriteType)) {
      throw new ServiceError(CloudTrailErrors.InvalidEventSelectorsException, `Invalid ReadWriteType: ${s.ReadWriteType}`);
    }
    for (const r of s.DataResources ?? []) {
      if (!["AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"].includes(r.Type ?? "")) {
        throw new ServiceError(CloudTrailErrors.InvalidEventSelectorsException, `Value ${r.Type} for parameter DataResources.Type is invalid.`);
      }
    }
  }
}

export const handlers: Partial<CloudtrailOperations> = {
  async LookupEvents(ctx, input) {
    const attrs = input.LookupAttributes ?? [];
    if (attrs.length > 1) throw new ServiceError(CloudTrailErrors.InvalidLookupAttributesException, "You cannot specify more than one lookup attribute.");
    const attr = attrs[0];
    if (attr && !LOOKUP_KEYS.includes(attr.AttributeKey)) {
      throw new ServiceError(CloudTrailErrors.InvalidLookupAttributesException, `Invalid attribute key: ${attr.AttributeKey}`);
    }
    if (input.EventCategory !== undefined && input.EventCategory !== "insight") {
      throw new ServiceError(CloudTrailErrors.InvalidEventCategoryException, `Invalid EventCategory: ${input.EventCategory}`);
    }
    const max = input.MaxResults ?? 50;
    if (max < 1 || max > 50) throw new ServiceError(CloudTrailErrors.InvalidMaxResultsException, "MaxResults must be between 1 and 50.");
    const now = ctx.clock.nowMs();
    const start = input.StartTime ? new Date(input.StartTime).getTime() : now - 90 * DAY;
    const end = input.EndTime ? new Date(input.EndTime).getTime() : now;
    if (start > end) throw new ServiceError(CloudTrailErrors.InvalidTimeRangeException);
    if (input.EventCategory === "insight") return { Events: [] };

    await recorderFor(ctx.storage.metadata, ctx.logger).flush();
    // Batches newest first, events within a batch newest first. A token names the batch and
    // the position in it to continue below.
    let before = eventKey(end + 1, "");
    let resumeAt: number | undefined;
    if (input.NextToken) {
      const token = Buffer.from(input.NextToken, "base64url").toString();
      const m = /^(\d{15}:[^#]*)#(\d+)$/.exec(token);
      if (!m) throw new ServiceError(CloudTrailErrors.InvalidNextTokenException);
      before = m[1]!;
      resumeAt = Number(m[2]);
    }
    // A batch is keyed by its first event; one that began a little before the window may reach into it.
    const from = eventKey(Math.max(start, now - 90 * DAY) - 60_000, "");
    const table = batchTable(ctx.storage.metadata, ctx.account);
    const events: Array<Record<string, unknown>> = [];
    let next: string | undefined;
    let scanned = 0;
    if (resumeAt !== undefined) {
      const batch = await table.get(before);
      if (batch) scanned += collect(before, batch.events, resumeAt);
    }
    outer: while (next === undefined) {
      const page = await table.list({ from, before, reverse: true, limit: 20 });
      for (const { key, value } of page) {
        before = key;
        scanned += collect(key, value.events, value.events.length);
        if (next !== undefined) break outer;
      }
      if (page.length < 20) break;
      if (scanned >= 500_000) {
        next = `${before}#0`;
        break;
      }
    }

    /** Take matching events of one batch below position `below`, newest first; sets `next` when the page fills. */
    function collect(key: string, rows: EventRow[], below: number): number {
      let n = 0;
      for (let i = Math.min(below, rows.length) - 1; i >= 0; i--) {
        const value = rows[i]!;
        n++;
        const e = value.event;
        if (value.ms < start || value.ms > end || !e.managementEvent || value.region !== ctx.region) continue;
        if (attr && !matchesAttribute(attr.AttributeKey, attr.AttributeValue, value)) continue;
        if (events.length === max) {
          next = `${key}#${i + 1}`;
          return n;
        }
        events.push({
          EventId: e.eventID,
          EventName: e.eventName,
          ReadOnly: String(e.readOnly),
          ...(typeof e.userIdentity.accessKeyId === "string" ? { AccessKeyId: e.userIdentity.accessKeyId } : {}),
          EventTime: new Date(e.eventTime),
          EventSource: e.eventSource,
          ...(value.username ? { Username: value.username } : {}),
          Resources: value.resources,
          CloudTrailEvent: JSON.stringify(e),
        });
      }
      return n;
    }
    return { Events: events as never, ...(next ? { NextToken: Buffer.from(next).toString("base64url") } : {}) };
  },

  async CreateTrail(ctx, input) {
    if (!TRAIL_NAME.test(input.Name) || /[._-]{2}/.test(input.Name)) {
      throw new ServiceError(CloudTrailErrors.InvalidTrailNameException, "Trail name must start with a letter or number, end with a letter or number, be between 3 and 128 characters, have no adjacent periods, underscores or dashes, and contain only letters, numbers, periods, underscores and dashes.");
    }
    if (input.S3KeyPrefix !== undefined && input.S3KeyPrefix.length > 200) throw new ServiceError(CloudTrailErrors.InvalidS3PrefixException, "S3 prefix is too long.");
    const table = trailsTable(ctx.storage.metadata, ctx.scope);
    if (await table.get(input.Name)) throw new ServiceError(CloudTrailErrors.TrailAlreadyExistsException, `Trail ${trailArn(ctx, input.Name)} already exists for customer: ${ctx.account}`);
    await checkBucket(ctx, input.S3BucketName, input.S3KeyPrefix);
    await checkCloudWatchLogs(ctx, input.CloudWatchLogsLogGroupArn || undefined, input.CloudWatchLogsRoleArn || undefined);
    const trail: TrailRecord = {
      Name: input.Name,
      TrailARN: trailArn(ctx, input.Name),
      HomeRegion: ctx.region,
      S3BucketName: input.S3BucketName,
      ...(input.S3KeyPrefix ? { S3KeyPrefix: input.S3KeyPrefix } : {}),
      ...(input.SnsTopicName ? { SnsTopicName: input.SnsTopicName, SnsTopicARN: topicArn(ctx, input.SnsTopicName) } : {}),
      IncludeGlobalServiceEvents: input.IncludeGlobalServiceEvents ?? true,
      IsMultiRegionTrail: input.IsMultiRegionTrail ?? false,
      LogFileValidationEnabled: input.EnableLogFileValidation ?? false,
      ...(input.CloudWatchLogsLogGroupArn ? { CloudWatchLogsLogGroupArn: input.CloudWatchLogsLogGroupArn } : {}),
      ...(input.CloudWatchLogsRoleArn ? { CloudWatchLogsRoleArn: input.CloudWatchLogsRoleArn } : {}),
      ...(input.KmsKeyId ? { KmsKeyId: input.KmsKeyId } : {}),
      IsOrganizationTrail: input.IsOrganizationTrail ?? false,
      HasCustomEventSelectors: false,
      HasInsightSelectors: false,
      logging: false,
    };
    if (trail.IsMultiRegionTrail && !trail.IncludeGlobalServiceEvents) {
      throw new ServiceError(CloudTrailErrors.InvalidParameterCombinationException, "Multi-Region trail must include global service events.");
    }
    await table.put(input.Name, trail);
    if (input.TagsList?.length) await tagsTable(ctx.storage.metadata, ctx.scope).put(trail.TrailARN, Object.fromEntries(input.TagsList.map((t) => [t.Key, t.Value ?? ""])));
    return trailOut(trail);
  },

  async UpdateTrail(ctx, input) {
    const trail = await findTrail(ctx, input.Name);
    if (input.S3BucketName !== undefined || input.S3KeyPrefix !== undefined) await checkBucket(ctx, input.S3BucketName ?? trail.S3BucketName, input.S3KeyPrefix ?? trail.S3KeyPrefix);
    // An empty string turns a destination off, as on AWS.
    const groupArn = input.CloudWatchLogsLogGroupArn !== undefined ? input.CloudWatchLogsLogGroupArn || undefined : trail.CloudWatchLogsLogGroupArn;
    const roleArn = input.CloudWatchLogsRoleArn !== undefined ? input.CloudWatchLogsRoleArn || undefined : trail.CloudWatchLogsRoleArn;
    if (input.CloudWatchLogsLogGroupArn !== undefined || input.CloudWatchLogsRoleArn !== undefined) await checkCloudWatchLogs(ctx, groupArn, roleArn);
    const topic = input.SnsTopicName !== undefined ? input.SnsTopicName || undefined : trail.SnsTopicName;
    const next: TrailRecord = {
      ...trail,
      ...(input.S3BucketName !== undefined ? { S3BucketName: input.S3BucketName } : {}),
      ...(input.S3KeyPrefix !== undefined ? { S3KeyPrefix: input.S3KeyPrefix } : {}),
      ...(input.IncludeGlobalServiceEvents !== undefined ? { IncludeGlobalServiceEvents: input.IncludeGlobalServiceEvents } : {}),
      ...(input.IsMultiRegionTrail !== undefined ? { IsMultiRegionTrail: input.IsMultiRegionTrail } : {}),
      ...(input.EnableLogFileValidation !== undefined ? { LogFileValidationEnabled: input.EnableLogFileValidation } : {}),
      ...(input.KmsKeyId !== undefined ? { KmsKeyId: input.KmsKeyId } : {}),
    };
    delete next.CloudWatchLogsLogGroupArn;
    delete next.CloudWatchLogsRoleArn;
    delete next.SnsTopicName;
    delete next.SnsTopicARN;
    if (groupArn) next.CloudWatchLogsLogGroupArn = groupArn;
    if (roleArn) next.CloudWatchLogsRoleArn = roleArn;
    if (topic) Object.assign(next, { SnsTopicName: topic, SnsTopicARN: topicArn(ctx, topic) });
    await trailsTable(ctx.storage.metadata, ctx.scope).put(trail.Name, next);
    return trailOut(next);
  },

  async GetTrail(ctx, input) {
    return { Trail: trailOut(await findTrail(ctx, input.Name)) };
  },

  async DescribeTrails(ctx, input) {
    const all = (await trailsTable(ctx.storage.metadata, ctx.scope).list()).map((e) => e.value);
    const names = input.trailNameList?.map(trailNameOf);
    return { trailList: all.filter((t) => !names?.length || names.includes(t.Name)).map(trailOut) };
  },

  async ListTrails(ctx) {
    const all = (await trailsTable(ctx.storage.metadata, ctx.scope).list()).map((e) => e.value);
    return { Trails: all.map((t) => ({ TrailARN: t.TrailARN, Name: t.Name, HomeRegion: t.HomeRegion })) };
  },

  async DeleteTrail(ctx, input) {
    const trail = await findTrail(ctx, input.Name);
    await trailsTable(ctx.storage.metadata, ctx.scope).delete(trail.Name);
    await tagsTable(ctx.storage.metadata, ctx.scope).delete(trail.TrailARN);
    await refreshDataSelectors(ctx.storage.metadata);
    return {};
  },

  async StartLogging(ctx, input) {
    const trail = await findTrail(ctx, input.Name);
    if (!trail.logging) {
      const now = ctx.clock.nowMs();
      // Delivery starts with the events recorded from now on (recording.ts filters by time).
      await trailsTable(ctx.storage.metadata, ctx.scope).put(trail.Name, { ...trail, logging: true, startLoggingTime: now });
      await refreshDataSelectors(ctx.storage.metadata);
    }
    return {};
  },

  async StopLogging(ctx, input) {
    const trail = await findTrail(ctx, input.Name);
    if (trail.logging) {
      await trailsTable(ctx.storage.metadata, ctx.scope).put(trail.Name, { ...trail, logging: false, stopLoggingTime: ctx.clock.nowMs() });
      await refreshDataSelectors(ctx.storage.metadata);
    }
    return {};
  },

  async GetTrailStatus(ctx, input) {
    const t = await findTrail(ctx, input.Name);
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
    return {
      IsLogging: t.logging,
      ...(t.startLoggingTime !== undefined ? { StartLoggingTime: iso(t.startLoggingTime), TimeLoggingStarted: new Date(t.startLoggingTime).toISOString() } : {}),
      ...(t.stopLoggingTime !== undefined ? { StopLoggingTime: iso(t.stopLoggingTime), TimeLoggingStopped: new Date(t.stopLoggingTime).toISOString() } : {}),
      ...(t.latestDeliveryTime !== undefined ? { LatestDeliveryTime: iso(t.latestDeliveryTime) } : {}),
      ...(t.latestDeliveryError !== undefined ? { LatestDeliveryError: t.latestDeliveryError } : {}),
      ...(t.latestDeliveryAttemptTime !== undefined
        ? { LatestDeliveryAttemptTime: new Date(t.latestDeliveryAttemptTime).toISOString(), LatestDeliveryAttemptSucceeded: t.latestDeliveryError ? "" : new Date(t.latestDeliveryAttemptTime).toISOString() }
        : {}),
      ...(t.latestCloudWatchLogsDeliveryTime !== undefined ? { LatestCloudWatchLogsDeliveryTime: iso(t.latestCloudWatchLogsDeliveryTime) } : {}),
      ...(t.latestCloudWatchLogsDeliveryError !== undefined ? { LatestCloudWatchLogsDeliveryError: t.latestCloudWatchLogsDeliveryError } : {}),
      ...(t.latestNotificationTime !== undefined ? { LatestNotificationTime: iso(t.latestNotificationTime) } : {}),
      ...(t.latestNotificationError !== undefined ? { LatestNotificationError: t.latestNotificationError } : {}),
      ...(t.latestNotificationAttemptTime !== undefined
        ? {
            LatestNotificationAttemptTime: new Date(t.latestNotificationAttemptTime).toISOString(),
            LatestNotificationAttemptSucceeded: t.latestNotificationError ? "" : new Date(t.latestNotificationAttemptTime).toISOString(),
          }
        : {}),
    };
  },

  async PutEventSelectors(ctx, input) {
    const trail = await findTrail(ctx, input.TrailName);
    if ((input.EventSelectors === undefined) === (input.AdvancedEventSelectors === undefined)) {
      throw new ServiceError(CloudTrailErrors.InvalidParameterCombinationException, "You must specify either EventSelectors or AdvancedEventSelectors, but not both.");
    }
    const selectors = (input.EventSelectors ?? []) as EventSelector[];
    validateSelectors(selectors);
    const next: TrailRecord = { ...trail, HasCustomEventSelectors: true };
    if (input.EventSelectors) {
      next.EventSelectors = JSON.parse(JSON.stringify(selectors)) as EventSelector[];
      delete next.AdvancedEventSelectors;
    } else {
      next.AdvancedEventSelectors = JSON.parse(JSON.stringify(input.AdvancedEventSelectors)) as unknown[];
      delete next.EventSelectors;
    }
    await trailsTable(ctx.storage.metadata, ctx.scope).put(trail.Name, next);
    await refreshDataSelectors(ctx.storage.metadata);
    return {
      TrailARN: trail.TrailARN,
      ...(next.EventSelectors ? { EventSelectors: next.EventSelectors as never } : {}),
      ...(next.AdvancedEventSelectors ? { AdvancedEventSelectors: next.AdvancedEventSelectors as never } : {}),
    };
  },

  async GetEventSelectors(ctx, input) {
    const trail = await findTrail(ctx, input.TrailName);
    if (trail.AdvancedEventSelectors) return { TrailARN: trail.TrailARN, AdvancedEventSelectors: trail.AdvancedEventSelectors as never };
    return {
      TrailARN: trail.TrailARN,
      EventSelectors: (trail.EventSelectors ?? [{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }]) as never,
    };
  },

  async AddTags(ctx, input) {
    const trail = await findTrail(ctx, input.ResourceId);
    const table = tagsTable(ctx.storage.metadata, ctx.scope);
    const tags = { ...((await table.get(trail.TrailARN)) ?? {}) };
    for (const t of input.TagsList) tags[t.Key] = t.Value ?? "";
    if (Object.keys(tags).length > 50) throw new ServiceError(CloudTrailErrors.InvalidTagParameterException, "A resource can have no more than 50 tags.");
    await table.put(trail.TrailARN, tags);
    return {};
  },

  async RemoveTags(ctx, input) {
    const trail = await findTrail(ctx, input.ResourceId);
    const table = tagsTable(ctx.storage.metadata, ctx.scope);
    const tags = { ...((await table.get(trail.TrailARN)) ?? {}) };
    for (const t of input.TagsList ?? []) delete tags[t.Key];
    await table.put(trail.TrailARN, tags);
    return {};
  },

  async ListTags(ctx, input) {
    const out = [];
    for (const id of input.ResourceIdList) {
      const trail = await findTrail(ctx, id);
      const tags = (await tagsTable(ctx.storage.metadata, ctx.scope).get(trail.TrailARN)) ?? {};
      out.push({ ResourceId: trail.TrailARN, TagsList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
    }
    return { ResourceTagList: out };
  },
};

function matchesAttribute(key: string, value: string, row: { event: { eventID: string; eventName: string; readOnly: boolean; eventSource: string; userIdentity: Record<string, unknown> }; username?: string; resources: Array<{ ResourceType: string; ResourceName: string }> }): boolean {
  const e = row.event;
  switch (key) {
    case "EventId":
      return e.eventID === value;
    case "EventName":
      return e.eventName === value;
    case "ReadOnly":
      return String(e.readOnly) === value;
    case "Username":
      return row.username === value;
    case "ResourceType":
      return row.resources.some((r) => r.ResourceType === value);
    case "ResourceName":
      return row.resources.some((r) => r.ResourceName === value);
    case "EventSource":
      return e.eventSource === value;
    case "AccessKeyId":
      return e.userIdentity.accessKeyId === value;
    default:
      return false;
  }
}
