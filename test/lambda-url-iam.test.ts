/** Lambda function URLs with AuthType AWS_IAM: SigV4-signed requests (SDK's SignatureV4), identity and resource policies. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { LambdaClient, CreateFunctionCommand, CreateFunctionUrlConfigCommand, AddPermissionCommand } from "@aws-sdk/client-lambda";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let iam: IAMClient;

type SourceData = string | ArrayBuffer | ArrayBufferView;
const toBytes = (d: SourceData): string | Uint8Array => (typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: SourceData) {
    this.h.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

/** Sends a request to `url`, SigV4-signed for `service` with the key when one is given. */
async function call(url: string, key?: { accessKeyId: string; secretAccessKey: string }, service = "lambda", body = '{"x":1}'): Promise<Response> {
  const u = new URL(url);
  const request = { method: "POST", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { host: u.host, "content-type": "application/json" }, body };
  const signed = key ? await new SignatureV4({ service, region: "us-east-1", credentials: key, sha256: Sha256 }).sign(request) : request;
  return fetch(url, { method: "POST", headers: signed.headers as Record<string, string>, body });
}

async function user(name: string, statements: object[]): Promise<{ accessKeyId: string; secretAccessKey: string; arn: string }> {
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  if (statements.length) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey!, arn: u.User!.Arn! };
}

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  iam = new IAMClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

describe("function URLs with AWS_IAM", () => {
  it("admits signed callers IAM allows and answers everyone else 403 Forbidden", async () => {
    const role = await executionRole(n, "iam-url-fn");
    const src = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ iam: event.requestContext.authorizer?.iam, accountId: event.requestContext.accountId, body: event.body }) });`;
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: "private", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": src }) } }));
    const cfg = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "private", AuthType: "AWS_IAM" }));
    const urlId = /^http:\/\/([a-z0-9]{32})\./.exec(cfg.FunctionUrl!)![1]!;
    const url = `${n.endpoint}/_nimbus/lambda-url/${urlId}/hello`;

    // Unsigned: AWS's bare 403.
    const unsigned = await call(url);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ Message: "Forbidden" });

    // The account's root key, signed for lambda: allowed in its own account.
    const root = await call(url, { accessKeyId: "test", secretAccessKey: "test" });
    expect(root.status).toBe(200);
    expect(await root.json()).toMatchObject({ accountId: "000000000000", body: '{"x":1}', iam: { accessKey: "test", accountId: "000000000000", userArn: "arn:aws:iam::000000000000:root" } });

    // A wrong secret, or a signature for another service, is refused the same way.
    expect((await call(url, { accessKeyId: "test", secretAccessKey: "wrong" })).status).toBe(403);
    expect((await call(url, { accessKeyId: "test", secretAccessKey: "test" }, "s3")).status).toBe(403);

    // A user without permission.
    const nobody = await user("nobody", []);
    const denied = await call(url, nobody);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ Message: "Forbidden" });

    // A user whose identity policy allows lambda:InvokeFunctionUrl (with the auth-type condition).
    const caller = await user("caller", [{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: fn.FunctionArn, Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } } }]);
    const ok = await call(url, caller);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ iam: { accessKey: caller.accessKeyId, userArn: caller.arn } });

    // A policy that requires another auth type does not apply.
    const wrongType = await user("wrong-type", [{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*", Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } } }]);
    expect((await call(url, wrongType)).status).toBe(403);

    // The function's resource policy can grant it too.
    const granted = await user("granted", []);
    expect((await call(url, granted)).status).toBe(403);
    await lambda.send(new AddPermissionCommand({ FunctionName: "private", StatementId: "url-user", Action: "lambda:InvokeFunctionUrl", Principal: granted.arn, FunctionUrlAuthType: "AWS_IAM" }));
    expect((await call(url, granted)).status).toBe(200);
    // ...but a public NONE-style grant does not open an AWS_IAM URL to unsigned callers.
    await lambda.send(new AddPermissionCommand({ FunctionName: "private", StatementId: "public", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    expect((await call(url)).status).toBe(403);
  });
});
