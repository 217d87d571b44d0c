/**
 * From Nimbus's audit record of a request to a CloudTrail event in AWS's record format
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
 * userIdentity by principal type, eventSource by service endpoint, requestParameters with
 * secrets already redacted by the gateway, readOnly and management/data classification.
 */
import { randomUUID } from "node:crypto";
import type { AuditRecord } from "../../core/audit.js";

export interface CloudTrailEvent {
  eventVersion: string;
  userIdentity: Record<string, unknown>;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: Array<{ type: string; ARN?: string; accountId?: string }>;
  eventType: "AwsApiCall";
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: "Management" | "Data";
}

/** The index fields LookupEvents filters on, stored beside the event. */
export interface StoredEvent {
  event: CloudTrailEvent;
  username?: string;
  resources: Array<{ ResourceType: string; ResourceName: string }>;
}

const SOURCES: Record<string, string> = {
  cloudwatch: "monitoring.amazonaws.com",
  sesv2: "ses.amazonaws.com",
  ses: "ses.amazonaws.com",
  dynamodbstreams: "dynamodb.amazonaws.com",
  s3control: "s3.amazonaws.com",
};
export const eventSource = (service: string) => SOURCES[service] ?? `${service}.amazonaws.com`;

const READ_ONLY = /^(Get|List|Describe|Head|Lookup|Search|Test|Simulate|Select|Scan|Query|BatchGet|TransactGet|Receive|Poll|Decode|Filter|Estimate|Preview|Validate|Check)/;
export const isReadOnly = (operation: string) => READ_ONLY.test(operation);

/** Data events: operations on the contents of resources, which CloudTrail logs only when a trail selects them. */
const DATA_EVENTS: Record<string, RegExp> = {
  s3: /^(GetObject|PutObject|DeleteObject|DeleteObjects|HeadObject|CopyObject|RestoreObject|SelectObjectContent|UploadPart|UploadPartCopy|CreateMultipartUpload|CompleteMultipartUpload|AbortMultipartUpload|ListParts|ListObjects|ListObjectsV2|ListObjectVersions|GetObjectAcl|PutObjectAcl|GetObjectTagging|PutObjectTagging|DeleteObjectTagging|GetObjectAttributes|GetObjectRetention|PutObjectRetention|GetObjectLegalHold|PutObjectLegalHold)$/,
  dynamodb: /^(GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|BatchGetItem|BatchWriteItem|TransactGetItems|TransactWriteItems|ExecuteStatement|BatchExecuteStatement|ExecuteTransaction)$/,
  dynamodbstreams: /^(GetRecords|GetShardIterator)$/,
  lambda: /^(Invoke|InvokeAsync|InvokeWithResponseStream)$/,
  sqs: /^(SendMessage|SendMessageBatch|ReceiveMessage|DeleteMessage|DeleteMessageBatch|ChangeMessageVisibility|ChangeMessageVisibilityBatch)$/,
  sns: /^(Publish|PublishBatch)$/,
  logs: /^(PutLogEvents|GetLogEvents|FilterLogEvents)$/,
};
export const isDataEvent = (service: string, operation: string) => DATA_EVENTS[service]?.test(operation) === true;

/** The data resource type a trail's basic event selector names for a data event. */
export function dataResourceOf(service: string, params: Record<string, unknown> | undefined): { type: string; arn: string } | undefined {
  if (service === "s3") {
    const bucket = params?.Bucket;
    if (typeof bucket !== "string") return undefined;
    const key = typeof params?.Key === "string" ? params.Key : "";
    return { type: "AWS::S3::Object", arn: `arn:aws:s3:::${bucket}/${key}` };
  }
  if (service === "lambda" && typeof params?.FunctionName === "string") return { type: "AWS::Lambda::Function", arn: String(params.FunctionName) };
  if (service === "dynamodb" && typeof params?.TableName === "string") return { type: "AWS::DynamoDB::Table", arn: String(params.TableName) };
  return undefined;
}

const RESOURCE_PARAMS: Array<[string, string]> = [
  ["Bucket", "AWS::S3::Bucket"],
  ["UserName", "AWS::IAM::User"],
  ["GroupName", "AWS::IAM::Group"],
  ["RoleName", "AWS::IAM::Role"],
  ["PolicyArn", "AWS::IAM::Policy"],
  ["InstanceProfileName", "AWS::IAM::InstanceProfile"],
  ["AccessKeyId", "AWS::IAM::AccessKey"],
  ["TableName", "AWS::DynamoDB::Table"],
  ["QueueUrl", "AWS::SQS::Queue"],
  ["QueueName", "AWS::SQS::Queue"],
  ["TopicArn", "AWS::SNS::Topic"],
  ["FunctionName", "AWS::Lambda::Function"],
  ["logGroupName", "AWS::Logs::LogGroup"],
  ["AlarmName", "AWS::CloudWatch::Alarm"],
  ["DashboardName", "AWS::CloudWatch::Dashboard"],
  ["TrailName", "AWS::CloudTrail::Trail"],
  ["InstanceIds", "AWS::EC2::Instance"],
  ["VolumeId", "AWS::EC2::Volume"],
];

function resourcesOf(params: Record<string, unknown> | undefined): Array<{ ResourceType: string; ResourceName: string }> {
  const out: Array<{ ResourceType: string; ResourceName: string }> = [];
  if (!params) return out;
  for (const [name, type] of RESOURCE_PARAMS) {
    const v = params[name];
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === "string" && x !== "") out.push({ ResourceType: type, ResourceName: x });
  }
  return out;
}

/** AWS's requestParameters: member names in lowerCamelCase; bodies and streams left out. */
function requestParameters(service: string, params: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!params) return null;
  const convert = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== "object" || depth > 10) return v;
    if (Array.isArray(v)) return v.map((x) => convert(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === "<stream>" || (typeof x === "string" && /^<\d+ bytes>$/.test(x))) continue;
      let name = k.length > 1 && /^[A-Z][a-z]/.test(k) ? k[0]!.toLowerCase() + k.slice(1) : k;
      if (service === "s3" && depth === 0 && name === "bucket") name = "bucketName";
      out[name] = convert(x, depth + 1);
    }
    return out;
  };
  const converted = convert(params, 0) as Record<string, unknown>;
  return Object.keys(converted).length > 0 ? converted : null;
}

function userIdentity(r: AuditRecord): { identity: Record<string, unknown>; username?: string } {
  const p = r.principal;
  if (!p || p.type === "anonymous") return { identity: { type: "AWSAccount", principalId: "", accountId: "anonymous" } };
  const base = { principalId: "", arn: p.arn, accountId: p.account, accessKeyId: p.accessKeyId };
  const session = p.session
    ? { attributes: { creationDate: p.session.issued, mfaAuthenticated: String(p.session.mfaAuthenticated === true) } }
    : undefined;
  if (p.type === "root") return { identity: { type: "Root", ...base, principalId: p.account, ...(session ? { sessionContext: session } : {}) }, username: "root" };
  if (p.type === "user") {
    return { identity: { type: "IAMUser", ...base, principalId: p.userId, userName: p.userName, ...(session ? { sessionContext: session } : {}) }, username: p.userName };
  }
  const roleName = p.roleArn.split("/").pop()!;
  return {
    identity: {
      type: "AssumedRole",
      ...base,
      principalId: `${p.roleId}:${p.sessionName}`,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: p.roleId, arn: p.roleArn, accountId: p.account, userName: roleName },
        attributes: { creationDate: p.session.issued, mfaAuthenticated: String(p.session.mfaAuthenticated === true) },
        ...(p.session.sourceIdentity ? { sourceIdentity: p.session.sourceIdentity } : {}),
      },
    },
    username: p.sessionName,
  };
}

/** CloudTrail's time format: seconds, `Z`. */
export const trailTime = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");

export function toCloudTrail(r: AuditRecord, region: string): StoredEvent {
  const service = r.service!;
  const operation = r.operation!;
  const { identity, username } = userIdentity(r);
  const management = !isDataEvent(service, operation);
  const event: CloudTrailEvent = {
    eventVersion: management ? "1.09" : "1.10",
    userIdentity: identity,
    eventTime: trailTime(r.time),
    eventSource: eventSource(service),
    eventName: operation,
    awsRegion: region,
    sourceIPAddress: r.sourceIp,
    userAgent: r.userAgent ?? "",
    ...(r.errorCode ? { errorCode: r.errorCode, errorMessage: r.errorMessage ?? "" } : {}),
    requestParameters: requestParameters(service, r.parameters),
    responseElements: null,
    requestID: r.requestId,
    eventID: randomUUID(),
    readOnly: isReadOnly(operation),
    eventType: "AwsApiCall",
    managementEvent: management,
    recipientAccountId: r.accountId!,
    eventCategory: management ? "Management" : "Data",
  };
  if (!management) {
    const res = dataResourceOf(service, r.parameters);
    if (res) event.resources = [{ type: res.type, ARN: res.arn, ...(service === "s3" ? {} : { accountId: r.accountId }) }];
  }
  return { event, ...(username ? { username } : {}), resources: resourcesOf(r.parameters) };
}
