/**
 * The services the console has pages for. Each page module is loaded on first visit (its own
 * chunk, with the SDK clients it uses), and receives the path segments after its id.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";

export interface ServicePageProps {
  /** Path segments after the service id: /_nimbus/console/s3/buckets/x -> ["buckets", "x"]. */
  path: string[];
}

export interface ServiceEntry {
  id: string;
  name: string;
  description: string;
  /** Words the services search also matches. */
  keywords: string;
  /** IAM and S3's bucket list are global in the AWS console. */
  global?: boolean;
  page: LazyExoticComponent<ComponentType<ServicePageProps>>;
}

export const SERVICES: ServiceEntry[] = [
  { id: "iam", name: "IAM", description: "Manage access to AWS resources", keywords: "users groups roles policies mfa identity access", global: true, page: lazy(() => import("./pages/iam/index.tsx")) },
  { id: "s3", name: "S3", description: "Scalable storage in the cloud", keywords: "buckets objects storage upload website", global: true, page: lazy(() => import("./pages/s3/index.tsx")) },
  { id: "dynamodb", name: "DynamoDB", description: "Managed NoSQL database", keywords: "tables items nosql database", page: lazy(() => import("./pages/dynamodb/index.tsx")) },
  { id: "lambda", name: "Lambda", description: "Run code without thinking about servers", keywords: "functions serverless code", page: lazy(() => import("./pages/lambda/index.tsx")) },
  { id: "sqs", name: "Simple Queue Service", description: "Managed message queues", keywords: "sqs queues messages", page: lazy(() => import("./pages/sqs/index.tsx")) },
  { id: "sns", name: "Simple Notification Service", description: "Pub/sub messaging and notifications", keywords: "sns topics subscriptions publish", page: lazy(() => import("./pages/sns/index.tsx")) },
  { id: "ses", name: "Simple Email Service", description: "Send email; read what was sent in the mailbox", keywords: "ses email identities mailbox", page: lazy(() => import("./pages/ses/index.tsx")) },
  { id: "cloudwatch", name: "CloudWatch", description: "Metrics, alarms, dashboards and logs", keywords: "metrics alarms dashboards logs log groups monitoring", page: lazy(() => import("./pages/cloudwatch/index.tsx")) },
  { id: "cloudtrail", name: "CloudTrail", description: "Track user activity and API usage", keywords: "events audit history trails", page: lazy(() => import("./pages/cloudtrail/index.tsx")) },
];

export function findService(id: string | undefined): ServiceEntry | undefined {
  return SERVICES.find((s) => s.id === id);
}
