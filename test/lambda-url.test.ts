/** Lambda function URLs: payload format 2.0, AWS's response mapping, the public resource policy, CORS; answered by fetch and curl. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LambdaClient, CreateFunctionCommand, CreateFunctionUrlConfigCommand, GetFunctionUrlConfigCommand, AddPermissionCommand, ListFunctionUrlConfigsCommand, DeleteFunctionUrlConfigCommand, UpdateFunctionUrlConfigCommand } from "@aws-sdk/client-lambda";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

describe("function URLs", () => {
  it("serves HTTP requests as payload format 2.0 events", async () => {
    const role = await executionRole(n, "url-fn");
    const src = `exports.handler = async (event) => {
  if (event.rawPath === "/plain") return { plain: true };
  return { statusCode: 201, headers: { "X-Echo": "yes", "content-type": "application/json" }, cookies: ["a=1"], body: JSON.stringify({ version: event.version, path: event.rawPath, method: event.requestContext.http.method, qs: event.queryStringParameters, body: event.body, b64: event.isBase64Encoded, cookies: event.cookies, host: event.headers.host }) };
};`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: "web", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": src }) } }));
    const cfg = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "web", AuthType: "NONE", Cors: { AllowOrigins: ["https://app.example"], AllowMethods: ["POST"], AllowHeaders: ["content-type"], MaxAge: 60 } }));
    expect(cfg.FunctionUrl).toMatch(/^http:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+\/$/);
    expect(cfg).toMatchObject({ AuthType: "NONE", FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:web" });
    await expect(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "web", AuthType: "NONE" }))).rejects.toMatchObject({ name: "ResourceConflictException" });
    const urlId = /^http:\/\/([a-z0-9]{32})\./.exec(cfg.FunctionUrl!)![1]!;
    const pathForm = `${n.endpoint}/_nimbus/lambda-url/${urlId}`;
    // AuthType NONE still needs the public resource policy.
    expect((await fetch(`${pathForm}/x`)).status).toBe(403);
    await lambda.send(new AddPermissionCommand({ FunctionName: "web", StatementId: "public-url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    const r = await fetch(`${pathForm}/items/7?x=1&x=2`, { method: "POST", headers: { "content-type": "application/json", cookie: "s=1; t=2", origin: "https://app.example" }, body: JSON.stringify({ a: 1 }) });
    expect(r.status).toBe(201);
    expect(r.headers.get("x-echo")).toBe("yes");
    expect(r.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(await r.json()).toMatchObject({ version: "2.0", path: "/items/7", method: "POST", qs: { x: "1,2" }, body: '{"a":1}', b64: false, cookies: ["s=1", "t=2"] });
    const plain = await fetch(`${pathForm}/plain`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("application/json");
    expect(await plain.json()).toEqual({ plain: true });
    const pre = await fetch(`${pathForm}/x`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-methods")).toBe("POST");
    expect(pre.headers.get("access-control-max-age")).toBe("60");
    // The host form, with curl.
    const u = new URL(cfg.FunctionUrl!);
    const { stdout } = await promisify(execFile)("curl", ["-s", "--resolve", `${u.hostname}:${u.port}:127.0.0.1`, "-X", "PUT", "--data-binary", "hi", "-H", "content-type: text/plain", `${cfg.FunctionUrl}curl?y=2`]);
    expect(JSON.parse(stdout)).toMatchObject({ path: "/curl", method: "PUT", qs: { y: "2" }, body: "hi", host: `${u.hostname}:${u.port}` });
    await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: "web", AuthType: "AWS_IAM" }));
    expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: "web" }))).AuthType).toBe("AWS_IAM");
    expect((await fetch(`${pathForm}/x`)).status).toBe(403);
    expect((await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: "web" }))).FunctionUrlConfigs).toHaveLength(1);
    await lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: "web" }));
    expect((await fetch(`${pathForm}/x`)).status).toBe(404);
  });
});
