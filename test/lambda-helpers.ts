/** Shared plumbing for the Lambda tests: zips, an execution role, and function creation. */
import { zipSync, strToU8 } from "fflate";
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";

/** A zip of text files (name -> content); `exec` names files that get mode 0755. */
export function zip(files: Record<string, string>, exec: string[] = []): Uint8Array {
  const entries: Record<string, [Uint8Array, { attrs?: number }]> = {};
  for (const [name, text] of Object.entries(files)) entries[name] = [strToU8(text), exec.includes(name) ? { attrs: (0o100755 << 16) >>> 0 } : { attrs: (0o100644 << 16) >>> 0 }];
  return zipSync(entries);
}

export const TRUST_LAMBDA = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** A role Lambda may assume with an inline policy; returns its ARN. */
export async function executionRole(n: Nimbus, name: string, statements: object[] = [], trust = TRUST_LAMBDA): Promise<string> {
  const iam = new IAMClient(sdkConfig(n));
  const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  if (statements.length) {
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }));
  }
  return role.Role!.Arn!;
}

export const ECHO_JS = `exports.handler = async (event, context) => {
  console.log("event", JSON.stringify(event));
  return { event, requestId: context.awsRequestId, fn: context.functionName, arn: context.invokedFunctionArn, memory: context.memoryLimitInMB, remaining: context.getRemainingTimeInMillis() > 0, region: process.env.AWS_REGION, version: process.env.AWS_LAMBDA_FUNCTION_VERSION };
};`;
