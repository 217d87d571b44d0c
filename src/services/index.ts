/** Every service Nimbus serves. Adding a service: add its folder and list it here (see CONTRIBUTING.md). */
import type { ServiceDefinition } from "../core/service.js";
import { cloudwatch } from "./cloudwatch/index.js";
import { ec2 } from "./ec2/index.js";
import { iam } from "./iam/index.js";
import { lambda } from "./lambda/index.js";
import { logs } from "./logs/index.js";
import { s3 } from "./s3/index.js";
import { sts } from "./sts/index.js";

export const SERVICES: readonly ServiceDefinition[] = [sts, s3, ec2, cloudwatch, logs, lambda, iam];
