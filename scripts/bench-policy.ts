/**
 * How long one IAM policy evaluation takes: a realistic set of ten statements (identity
 * policies, a permissions boundary and a bucket policy) with wildcards, policy variables and
 * conditions, evaluated for a rotating mix of allowed, implicitly and explicitly denied
 * requests. Prints the median and p99 in microseconds (target: median under 50 µs).
 *
 *   npx tsx scripts/bench-policy.ts [iterations]
 */
import {
  evaluate,
  parsePolicyDocument,
  type EvaluationInput,
  type PolicyDocument,
  type PolicyKind,
} from "../src/services/iam/policy/index.js";

const A = "111122223333";
const doc = (o: unknown, kind: PolicyKind): PolicyDocument => parsePolicyDocument(JSON.stringify(o), kind);

const identity = [
  doc(
    {
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListOwnPrefix", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::team-data", Condition: { StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/*"] } } },
        { Sid: "OwnObjects", Effect: "Allow", Action: ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject"], Resource: "arn:aws:s3:::team-data/home/${aws:username}/*" },
        { Sid: "ReadShared", Effect: "Allow", Action: "s3:Get*", Resource: ["arn:aws:s3:::team-data/shared/*", "arn:aws:s3:::public-*/*"] },
        { Sid: "TaggedQueues", Effect: "Allow", Action: "sqs:*", Resource: `arn:aws:sqs:*:${A}:*`, Condition: { StringEquals: { "aws:ResourceTag/team": "${aws:PrincipalTag/team}" } } },
      ],
    },
    "identity",
  ),
  doc(
    {
      Version: "2012-10-17",
      Statement: [
        { Sid: "OfficeOnly", Effect: "Deny", Action: "*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] }, Bool: { "aws:ViaAWSService": "false" } } },
        { Sid: "NoUntaggedCreates", Effect: "Deny", Action: ["sqs:CreateQueue", "sqs:TagQueue"], Resource: "*", Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["team", "env"] } } },
      ],
    },
    "identity",
  ),
];

const boundary = doc(
  {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Ceiling", Effect: "Allow", Action: ["s3:*", "sqs:*", "logs:*"], Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2099-01-01T00:00:00Z" } } },
      { Sid: "KeepBoundary", Effect: "Deny", NotAction: ["s3:*", "sqs:*", "logs:*", "sts:GetCallerIdentity"], Resource: "*" },
    ],
  },
  "boundary",
);

const bucketPolicy = doc(
  {
    Version: "2012-10-17",
    Statement: [
      { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::team-data", "arn:aws:s3:::team-data/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      { Sid: "AuditRead", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:role/Audit` }, Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::team-data", "arn:aws:s3:::team-data/*"] },
    ],
  },
  "resource",
);

const principal = { type: "user" as const, arn: `arn:aws:iam::${A}:user/alice`, account: A, userId: "AIDAALICE00000000001" };
const context = {
  "aws:SourceIp": "192.0.2.44",
  "aws:SecureTransport": true,
  "aws:ViaAWSService": false,
  "aws:CurrentTime": new Date("2025-06-01T12:00:00Z"),
  "aws:PrincipalTag/team": "red",
};

const base = { principal, identityPolicies: identity, permissionBoundary: boundary };
const requests: { input: EvaluationInput; expect: string }[] = [
  { expect: "Allowed", input: { ...base, action: "s3:GetObject", resources: ["arn:aws:s3:::team-data/home/alice/report.csv"], resourcePolicy: bucketPolicy, context } },
  { expect: "ImplicitlyDenied", input: { ...base, action: "s3:GetObject", resources: ["arn:aws:s3:::team-data/home/bob/report.csv"], resourcePolicy: bucketPolicy, context } },
  { expect: "Allowed", input: { ...base, action: "s3:ListBucket", resources: ["arn:aws:s3:::team-data"], resourcePolicy: bucketPolicy, context: { ...context, "s3:prefix": "home/alice/2025/" } } },
  { expect: "ExplicitlyDenied", input: { ...base, action: "s3:GetObject", resources: ["arn:aws:s3:::team-data/shared/x"], resourcePolicy: bucketPolicy, context: { ...context, "aws:SecureTransport": false } } },
  { expect: "Allowed", input: { ...base, action: "sqs:SendMessage", resources: [`arn:aws:sqs:us-east-1:${A}:jobs`], context: { ...context, "aws:ResourceTag/team": "red" } } },
  { expect: "ExplicitlyDenied", input: { ...base, action: "sqs:CreateQueue", resources: [`arn:aws:sqs:us-east-1:${A}:new`], context: { ...context, "aws:TagKeys": ["team", "owner"] } } },
  { expect: "ExplicitlyDenied", input: { ...base, action: "s3:GetObject", resources: ["arn:aws:s3:::public-site/index.html"], context: { ...context, "aws:SourceIp": "198.51.100.7" } } },
  { expect: "Allowed", input: { ...base, action: "s3:GetObjectVersion", resources: ["arn:aws:s3:::public-site/index.html"], context: { ...context, "aws:SourceIp": "2001:db8:1::5" } } },
];

for (const r of requests) {
  const got = evaluate(r.input);
  if (got !== r.expect) throw new Error(`bench scenario ${r.input.action} ${r.input.resources[0]}: expected ${r.expect}, got ${got}`);
}

const iterations = Number(process.argv[2] ?? 200_000);
for (let i = 0; i < 20_000; i++) evaluate(requests[i % requests.length]!.input);

const samples = new Float64Array(iterations);
let sink = 0;
const started = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  const input = requests[i % requests.length]!.input;
  const t0 = process.hrtime.bigint();
  const d = evaluate(input);
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  sink += d.length;
}
const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
samples.sort();
const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;

console.log(`IAM policy evaluation: 10 statements (2 identity policies, boundary, bucket policy), ${requests.length} request shapes`);
console.log(`  iterations ${iterations}  total ${totalMs.toFixed(0)} ms  (${Math.round(iterations / (totalMs / 1000))}/s)`);
console.log(`  median ${pct(0.5).toFixed(2)} µs   p90 ${pct(0.9).toFixed(2)} µs   p99 ${pct(0.99).toFixed(2)} µs   max ${samples[samples.length - 1]!.toFixed(1)} µs`);
console.log(`  target: median < 50 µs -> ${pct(0.5) < 50 ? "met" : "MISSED"}`);
// The decisions feed `sink` so the loop cannot be optimised away; reading it keeps it live.
if (sink === 0) throw new Error("no decisions were made");
