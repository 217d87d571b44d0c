/**
 * AWS managed policies: the same in every account, under `arn:aws:iam::aws:policy/...`,
 * attachable, never modifiable. The documents are AWS's published default versions (from AWS's
 * managed policy reference), rendered the way AWS stores them (4-space indented JSON).
 *
 * ReadOnlyAccess is ABBREVIATED: AWS's real document lists read actions for every AWS service
 * (several thousand characters); this one keeps the same shape (`Describe*`, `Get*`, `List*` and
 * the other read-only verbs per service) for the services Nimbus emulates and the ones most
 * often read. Policy ids are stable per policy name (the same in every account and every run)
 * but are not AWS's own ids. Version ids and update dates are AWS's as published; a few creation
 * dates AWS does not publish are approximate.
 */
import { stableId } from "./ids.js";

export interface ManagedPolicy {
  name: string;
  path: string;
  arn: string;
  id: string;
  description: string;
  createDate: string;
  updateDate: string;
  defaultVersion: string;
  document: string;
}

type Statement = Record<string, unknown>;

const doc = (...statements: Statement[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 4);
const allow = (action: string | string[], resource: string | string[] = "*", extra: Statement = {}): Statement => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});

const readOnly = (service: string, verbs: string[] = ["Describe*", "Get*", "List*"]) => verbs.map((v) => `${service}:${v}`);

const DEFINITIONS: Array<Omit<ManagedPolicy, "arn" | "id">> = [
  {
    name: "AdministratorAccess",
    path: "/",
    description: "Provides full access to AWS services and resources.",
    createDate: "2015-02-06T18:39:46Z",
    updateDate: "2015-02-06T18:39:46Z",
    defaultVersion: "v1",
    document: doc(allow("*")),
  },
  {
    name: "PowerUserAccess",
    path: "/",
    description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
    createDate: "2015-02-06T18:39:47Z",
    updateDate: "2026-02-12T17:59:00Z",
    defaultVersion: "v12",
    document: doc(
      { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" },
      allow([
        "account:GetAccountInformation",
        "account:GetGovCloudAccountInformation",
        "account:GetPrimaryEmail",
        "account:ListRegions",
        "iam:CreateServiceLinkedRole",
        "iam:DeleteServiceLinkedRole",
        "iam:ListRoles",
        "organizations:DescribeEffectivePolicy",
        "organizations:DescribeOrganization",
      ]),
    ),
  },
  {
    name: "ReadOnlyAccess",
    path: "/",
    description: "Provides read-only access to AWS services and resources.",
    createDate: "2015-02-06T18:39:48Z",
    updateDate: "2015-02-06T18:39:48Z",
    defaultVersion: "v1",
    // Abbreviated (see the file comment).
    document: doc(
      allow([
        ...readOnly("acm"),
        "apigateway:GET",
        "autoscaling:Describe*",
        ...readOnly("cloudformation"),
        "cloudformation:Detect*",
        "cloudfront:Get*",
        "cloudfront:List*",
        ...readOnly("cloudtrail"),
        "cloudtrail:LookupEvents",
        ...readOnly("cloudwatch"),
        "dynamodb:BatchGet*",
        ...readOnly("dynamodb"),
        "dynamodb:Query",
        "dynamodb:Scan",
        "ec2:Describe*",
        "ec2:Get*",
        "ecr:BatchGet*",
        ...readOnly("ecr"),
        "ecs:Describe*",
        "ecs:List*",
        "elasticloadbalancing:Describe*",
        "events:Describe*",
        "events:List*",
        "iam:Generate*",
        "iam:Get*",
        "iam:List*",
        "iam:Simulate*",
        ...readOnly("kinesis"),
        ...readOnly("kms"),
        "lambda:Get*",
        "lambda:List*",
        ...readOnly("logs"),
        "logs:FilterLogEvents",
        "logs:StartQuery",
        "logs:StopQuery",
        "logs:TestMetricFilter",
        "route53:Get*",
        "route53:List*",
        ...readOnly("s3"),
        "secretsmanager:Describe*",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:List*",
        "sns:Check*",
        "sns:Get*",
        "sns:List*",
        "sqs:Get*",
        "sqs:List*",
        ...readOnly("ssm"),
        ...readOnly("states"),
        "sts:GetCallerIdentity",
        "tag:Get*",
      ]),
    ),
  },
  {
    name: "IAMFullAccess",
    path: "/",
    description: "Provides full access to IAM via the AWS Management Console.",
    createDate: "2015-02-06T18:40:38Z",
    updateDate: "2019-06-21T19:40:00Z",
    defaultVersion: "v2",
    document: doc(
      allow([
        "iam:*",
        "organizations:DescribeAccount",
        "organizations:DescribeOrganization",
        "organizations:DescribeOrganizationalUnit",
        "organizations:DescribePolicy",
        "organizations:ListChildren",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
        "organizations:ListRoots",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy",
      ]),
    ),
  },
  {
    name: "AmazonS3FullAccess",
    path: "/",
    description: "Provides full access to all buckets via the AWS Management Console.",
    createDate: "2015-02-06T18:40:58Z",
    updateDate: "2021-09-27T20:16:37Z",
    defaultVersion: "v2",
    document: doc(allow(["s3:*", "s3-object-lambda:*"])),
  },
  {
    name: "AmazonS3ReadOnlyAccess",
    path: "/",
    description: "Provides read only access to all buckets via the AWS Management Console.",
    createDate: "2015-02-06T18:40:59Z",
    updateDate: "2023-08-10T21:31:39Z",
    defaultVersion: "v3",
    document: doc(allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"])),
  },
  {
    name: "AmazonDynamoDBFullAccess",
    path: "/",
    description: "Provides full access to Amazon DynamoDB via the AWS Management Console.",
    createDate: "2015-02-06T18:40:11Z",
    updateDate: "2021-01-29T17:38:30Z",
    defaultVersion: "v15",
    document: doc(
      allow([
        "dynamodb:*",
        "dax:*",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingActivities",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarmHistory",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:GetMetricData",
        "datapipeline:ActivatePipeline",
        "datapipeline:CreatePipeline",
        "datapipeline:DeletePipeline",
        "datapipeline:DescribeObjects",
        "datapipeline:DescribePipelines",
        "datapipeline:GetPipelineDefinition",
        "datapipeline:ListPipelines",
        "datapipeline:PutPipelineDefinition",
        "datapipeline:QueryObjects",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "iam:GetRole",
        "iam:ListRoles",
        "kms:DescribeKey",
        "kms:ListAliases",
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:ListSubscriptions",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTopics",
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:SetTopicAttributes",
        "lambda:CreateFunction",
        "lambda:ListFunctions",
        "lambda:ListEventSourceMappings",
        "lambda:CreateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
        "lambda:GetFunctionConfiguration",
        "lambda:DeleteFunction",
        "resource-groups:ListGroups",
        "resource-groups:ListGroupResources",
        "resource-groups:GetGroup",
        "resource-groups:GetGroupQuery",
        "resource-groups:DeleteGroup",
        "resource-groups:CreateGroup",
        "tag:GetResources",
        "kinesis:ListStreams",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
      ]),
      allow("cloudwatch:GetInsightRuleReport", "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"),
      allow(["iam:PassRole"], "*", {
        Condition: {
          StringLike: {
            "iam:PassedToService": [
              "application-autoscaling.amazonaws.com",
              "application-autoscaling.amazonaws.com.cn",
              "dax.amazonaws.com",
            ],
          },
        },
      }),
      allow(["iam:CreateServiceLinkedRole"], "*", {
        Condition: {
          StringEquals: {
            "iam:AWSServiceName": [
              "replication.dynamodb.amazonaws.com",
              "dax.amazonaws.com",
              "dynamodb.application-autoscaling.amazonaws.com",
              "contributorinsights.dynamodb.amazonaws.com",
              "kinesisreplication.dynamodb.amazonaws.com",
            ],
          },
        },
      }),
    ),
  },
  {
    name: "AmazonSQSFullAccess",
    path: "/",
    description: "Provides full access to Amazon SQS via the AWS Management Console.",
    createDate: "2015-02-06T18:41:07Z",
    updateDate: "2015-02-06T18:41:07Z",
    defaultVersion: "v1",
    document: doc(allow(["sqs:*"])),
  },
  {
    name: "AmazonSNSFullAccess",
    path: "/",
    description: "Provides full access to Amazon SNS via the AWS Management Console.",
    createDate: "2015-02-06T18:41:05Z",
    updateDate: "2015-02-06T18:41:05Z",
    defaultVersion: "v1",
    document: doc(allow(["sns:*"])),
  },
  {
    name: "AWSLambda_FullAccess",
    path: "/",
    description:
      "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
    createDate: "2020-11-23T19:11:00Z",
    updateDate: "2026-02-11T22:18:56Z",
    defaultVersion: "v5",
    document: doc(
      allow([
        "cloudformation:DescribeStacks",
        "cloudformation:ListStackResources",
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "kms:DescribeKey",
        "kms:ListAliases",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:ListRoles",
        "lambda:*",
        "logs:DescribeLogGroups",
        "states:DescribeStateMachine",
        "states:ListStateMachines",
        "tag:GetResources",
        "xray:GetTraceSummaries",
        "xray:BatchGetTraces",
      ]),
      allow("iam:PassRole", "*", { Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } } }),
      allow(
        ["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartLiveTail", "logs:StopLiveTail"],
        "arn:aws:logs:*:*:log-group:/aws/lambda/*",
      ),
      allow(
        "iam:CreateServiceLinkedRole",
        "arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda",
        { Condition: { StringEquals: { "iam:AWSServiceName": "lambda.amazonaws.com" } } },
      ),
    ),
  },
  {
    name: "AWSLambdaBasicExecutionRole",
    path: "/service-role/",
    description: "Provides write permissions to CloudWatch Logs.",
    createDate: "2015-04-09T15:03:43Z",
    updateDate: "2015-04-09T15:03:43Z",
    defaultVersion: "v1",
    document: doc(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])),
  },
  {
    name: "CloudWatchFullAccess",
    path: "/",
    description: "Provides full access to CloudWatch.",
    createDate: "2015-02-06T18:40:00Z",
    updateDate: "2022-11-27T13:23:49Z",
    defaultVersion: "v4",
    document: doc(
      allow([
        "autoscaling:Describe*",
        "cloudwatch:*",
        "logs:*",
        "sns:*",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRole",
        "oam:ListSinks",
      ]),
      allow(
        "iam:CreateServiceLinkedRole",
        "arn:aws:iam::*:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*",
        { Condition: { StringLike: { "iam:AWSServiceName": "events.amazonaws.com" } } },
      ),
      allow(["oam:ListAttachedLinks"], "arn:aws:oam:*:*:sink/*"),
    ),
  },
  {
    name: "AmazonEC2FullAccess",
    path: "/",
    description: "Provides full access to Amazon EC2 via the AWS Management Console.",
    createDate: "2015-02-06T18:40:15Z",
    updateDate: "2018-11-27T02:16:56Z",
    defaultVersion: "v5",
    document: doc(
      allow("ec2:*"),
      allow("elasticloadbalancing:*"),
      allow("cloudwatch:*"),
      allow("autoscaling:*"),
      allow("iam:CreateServiceLinkedRole", "*", {
        Condition: {
          StringEquals: {
            "iam:AWSServiceName": [
              "autoscaling.amazonaws.com",
              "ec2scheduled.amazonaws.com",
              "elasticloadbalancing.amazonaws.com",
              "spot.amazonaws.com",
              "spotfleet.amazonaws.com",
              "transitgateway.amazonaws.com",
            ],
          },
        },
      }),
    ),
  },
];

export const AWS_MANAGED_POLICIES: readonly ManagedPolicy[] = DEFINITIONS.map((d) => ({
  ...d,
  arn: `arn:aws:iam::aws:policy${d.path}${d.name}`,
  id: stableId("ANPA", `aws-managed-policy:${d.name}`),
}));

const BY_ARN = new Map(AWS_MANAGED_POLICIES.map((p) => [p.arn, p]));

export function awsManagedPolicy(arn: string): ManagedPolicy | undefined {
  return BY_ARN.get(arn);
}
