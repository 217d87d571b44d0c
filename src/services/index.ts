/** Every service Nimbus serves. Adding a service: add its folder and list it here (see CONTRIBUTING.md). */
import type { ServiceDefinition } from "../core/service.js";
import { cloudtrail } from "./cloudtrail/index.js";
import { cloudwatch } from "./cloudwatch/index.js";
import { dynamodb } from "./dynamodb/index.js";
import { dynamodbstreams } from "./dynamodbstreams/index.js";
import { ec2 } from "./ec2/index.js";
import { events } from "./events/index.js";
import { iam } from "./iam/index.js";
import { lambda } from "./lambda/index.js";
import { logs } from "./logs/index.js";
import { s3 } from "./s3/index.js";
import { s3control } from "./s3control/index.js";
import { ses } from "./ses/index.js";
import { sesv2 } from "./sesv2/index.js";
import { sns } from "./sns/index.js";
import { sqs } from "./sqs/index.js";
import { sts } from "./sts/index.js";

export const SERVICES: readonly ServiceDefinition[] = [
  sts,
  s3,
  s3control,
  ec2,
  cloudwatch,
  logs,
  lambda,
  iam,
  dynamodb,
  dynamodbstreams,
  sqs,
  sns,
  ses,
  sesv2,
  events,
  cloudtrail,
];
