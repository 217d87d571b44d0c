/** Lambda layers (published, listed, shared, extracted under a function's /opt) and provisioned concurrency (pre-warmed environments). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LambdaClient,
  AddLayerVersionPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteLayerVersionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  RemoveLayerVersionPermissionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { S3Client, CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, TRUST_LAMBDA, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let role: string;
const ACCOUNT = "000000000000";
const dec = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8") || "null");
type AwsError = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const fail = (p: Promise<unknown>) => p.then(() => ({ name: "no error", message: "", $metadata: {} }) as AwsError, (e: unknown) => e as AwsError);
const drain = async () => void (await fetch(`${n.endpoint}/_nimbus/lambda/drain`, { method: "POST" })).arrayBuffer();
const layerArn = (name: string, v?: number) => `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:${name}${v !== undefined ? `:${v}` : ""}`;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  role = await executionRole(n, "layered");
});
afterAll(async () => {
  await n.stop();
});

describe("layer versions", () => {
  const v1Zip = zip({ "nodejs/node_modules/greeter/index.js": "exports.greet = (who) => `hello ${who} from layer one`;", "shared/data.txt": "from one" });

  it("publishes from a zip and from S3, reads back, downloads Content.Location, and lists with filters and paging", async () => {
    const v1 = await lambda.send(
      new PublishLayerVersionCommand({ LayerName: "shared-lib", Description: "greeter", Content: { ZipFile: v1Zip }, CompatibleRuntimes: ["nodejs20.x", "python3.12"], CompatibleArchitectures: ["x86_64"], LicenseInfo: "MIT" }),
    );
    expect(v1).toMatchObject({ LayerArn: layerArn("shared-lib"), LayerVersionArn: layerArn("shared-lib", 1), Version: 1, Description: "greeter", LicenseInfo: "MIT", CompatibleRuntimes: ["nodejs20.x", "python3.12"], CompatibleArchitectures: ["x86_64"] });
    expect(v1.Content!.CodeSize).toBe(v1Zip.length);
    expect(v1.Content!.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(v1.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const download = await fetch(v1.Content!.Location!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(v1Zip))).toBe(true);

    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "layer-src" }));
    await s3.send(new PutObjectCommand({ Bucket: "layer-src", Key: "py.zip", Body: zip({ "python/mylib.py": "def hello():\n    return 'hello from a python layer'\n" }) }));
    const v2 = await lambda.send(new PublishLayerVersionCommand({ LayerName: "shared-lib", Content: { S3Bucket: "layer-src", S3Key: "py.zip" }, CompatibleRuntimes: ["python3.12"], CompatibleArchitectures: ["arm64"] }));
    expect(v2.Version).toBe(2);

    const got = await lambda.send(new GetLayerVersionCommand({ LayerName: "shared-lib", VersionNumber: 1 }));
    expect(got).toMatchObject({ LayerVersionArn: layerArn("shared-lib", 1), Content: { CodeSha256: v1.Content!.CodeSha256, CodeSize: v1Zip.length } });
    const byArn = await lambda.send(new GetLayerVersionByArnCommand({ Arn: layerArn("shared-lib", 2) }));
    expect(byArn).toMatchObject({ Version: 2, LayerArn: layerArn("shared-lib"), CompatibleArchitectures: ["arm64"] });
    // A layer ARN works wherever a LayerName does.
    expect((await lambda.send(new GetLayerVersionCommand({ LayerName: layerArn("shared-lib"), VersionNumber: 2 }))).Version).toBe(2);

    const all = await lambda.send(new ListLayerVersionsCommand({ LayerName: "shared-lib" }));
    expect(all.LayerVersions!.map((v) => v.Version)).toEqual([2, 1]);
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "shared-lib", CompatibleRuntime: "nodejs20.x" }))).LayerVersions!.map((v) => v.Version)).toEqual([1]);
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "shared-lib", CompatibleArchitecture: "arm64" }))).LayerVersions!.map((v) => v.Version)).toEqual([2]);
    const page1 = await lambda.send(new ListLayerVersionsCommand({ LayerName: "shared-lib", MaxItems: 1 }));
    expect(page1.LayerVersions!.map((v) => v.Version)).toEqual([2]);
    const page2 = await lambda.send(new ListLayerVersionsCommand({ LayerName: "shared-lib", MaxItems: 1, Marker: page1.NextMarker! }));
    expect(page2.LayerVersions!.map((v) => v.Version)).toEqual([1]);
    expect(page2.NextMarker).toBeUndefined();
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "no-such-layer" }))).LayerVersions).toEqual([]);

    await lambda.send(new PublishLayerVersionCommand({ LayerName: "another", Content: { ZipFile: zip({ "x.txt": "x" }) } }));
    const layers = await lambda.send(new ListLayersCommand({}));
    expect(layers.Layers!.map((l) => [l.LayerName, l.LatestMatchingVersion!.Version])).toEqual([["another", 1], ["shared-lib", 2]]);
    const node = await lambda.send(new ListLayersCommand({ CompatibleRuntime: "nodejs20.x" }));
    expect(node.Layers!.map((l) => [l.LayerName, l.LatestMatchingVersion!.Version])).toEqual([["shared-lib", 1]]);
    const first = await lambda.send(new ListLayersCommand({ MaxItems: 1 }));
    expect(first.Layers!.map((l) => l.LayerName)).toEqual(["another"]);
    expect((await lambda.send(new ListLayersCommand({ MaxItems: 1, Marker: first.NextMarker! }))).Layers!.map((l) => l.LayerName)).toEqual(["shared-lib"]);
  });

  it("deletes versions without reusing their numbers, and answers AWS's errors", async () => {
    await lambda.send(new PublishLayerVersionCommand({ LayerName: "short-lived", Content: { ZipFile: zip({ "a.txt": "a" }) } }));
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: "short-lived", VersionNumber: 1 }));
    // Deleting again (or something never published) succeeds.
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: "short-lived", VersionNumber: 1 }));
    const gone = await fail(lambda.send(new GetLayerVersionCommand({ LayerName: "short-lived", VersionNumber: 1 })));
    expect([gone.name, gone.$metadata.httpStatusCode]).toEqual(["ResourceNotFoundException", 404]);
    expect((await lambda.send(new PublishLayerVersionCommand({ LayerName: "short-lived", Content: { ZipFile: zip({ "a.txt": "b" }) } }))).Version).toBe(2);

    const badRuntime = await fail(lambda.send(new PublishLayerVersionCommand({ LayerName: "bad", Content: { ZipFile: zip({ "a.txt": "a" }) }, CompatibleRuntimes: ["cobol9" as never] })));
    expect([badRuntime.name, badRuntime.$metadata.httpStatusCode]).toEqual(["ValidationException", 400]);
    const badName = await fail(lambda.send(new PublishLayerVersionCommand({ LayerName: "bad name!", Content: { ZipFile: zip({ "a.txt": "a" }) } })));
    expect(badName.name).toBe("ValidationException");
    const notZip = await fail(lambda.send(new PublishLayerVersionCommand({ LayerName: "bad", Content: { ZipFile: Buffer.from("not a zip") } })));
    expect([notZip.name, notZip.$metadata.httpStatusCode]).toEqual(["InvalidParameterValueException", 400]);
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "bad" }))).LayerVersions).toEqual([]);
  });

  it("keeps a layer version policy (add, read, revision checks, remove)", async () => {
    await lambda.send(new PublishLayerVersionCommand({ LayerName: "policied", Content: { ZipFile: zip({ "a.txt": "a" }) } }));
    const none = await fail(lambda.send(new GetLayerVersionPolicyCommand({ LayerName: "policied", VersionNumber: 1 })));
    expect([none.name, none.$metadata.httpStatusCode]).toEqual(["ResourceNotFoundException", 404]);
    const added = await lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "everyone", Action: "lambda:GetLayerVersion", Principal: "*" }));
    expect(JSON.parse(added.Statement!)).toEqual({ Sid: "everyone", Effect: "Allow", Principal: "*", Action: "lambda:GetLayerVersion", Resource: layerArn("policied", 1) });
    const second = await lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "partner", Action: "lambda:GetLayerVersion", Principal: "111122223333", RevisionId: added.RevisionId! }));
    expect(JSON.parse(second.Statement!).Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
    const policy = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: "policied", VersionNumber: 1 }));
    expect(policy.RevisionId).toBe(second.RevisionId);
    expect(JSON.parse(policy.Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["everyone", "partner"]);

    const dup = await fail(lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "everyone", Action: "lambda:GetLayerVersion", Principal: "*" })));
    expect([dup.name, dup.$metadata.httpStatusCode]).toEqual(["ResourceConflictException", 409]);
    const badAction = await fail(lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "x", Action: "lambda:InvokeFunction", Principal: "*" })));
    expect(badAction.name).toBe("ValidationException");
    const stale = await fail(lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "everyone", RevisionId: added.RevisionId! })));
    expect([stale.name, stale.$metadata.httpStatusCode]).toEqual(["PreconditionFailedException", 412]);
    const missingLayer = await fail(lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 9, StatementId: "x", Action: "lambda:GetLayerVersion", Principal: "*" })));
    expect([missingLayer.name, missingLayer.$metadata.httpStatusCode]).toEqual(["ResourceNotFoundException", 404]);

    await lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "everyone" }));
    await lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "partner" }));
    const unknown = await fail(lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: "policied", VersionNumber: 1, StatementId: "partner" })));
    expect(unknown.name).toBe("ResourceNotFoundException");
    expect((await fail(lambda.send(new GetLayerVersionPolicyCommand({ LayerName: "policied", VersionNumber: 1 })))).name).toBe("ResourceNotFoundException");
  });

  it("is listed by the AWS CLI and boto3", async () => {
    const cli = await awsCli(n, ["lambda", "list-layers"]);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { Layers: { LayerName: string }[] }).Layers.map((l) => l.LayerName)).toContain("shared-lib");
    const py = await boto3(n, "r = client('lambda').list_layers(CompatibleRuntime='python3.12')\nprint(json.dumps([[l['LayerName'], l['LatestMatchingVersion']['Version']] for l in r['Layers']]))");
    expect(py.code).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual([["shared-lib", 2]]);
  });
});

describe("functions with layers", () => {
  it("merge their layers under /opt in order: Node requires from nodejs/node_modules, later layers override files", async () => {
    const a = await lambda.send(new PublishLayerVersionCommand({ LayerName: "node-a", Content: { ZipFile: zip({ "nodejs/node_modules/greeter/index.js": "exports.greet = (w) => `hi ${w} from a`;", "shared/data.txt": "from a", "shared/only-a.txt": "a" }) } }));
    const b = await lambda.send(new PublishLayerVersionCommand({ LayerName: "node-b", Content: { ZipFile: zip({ "nodejs/node20/node_modules/versioned/index.js": "exports.v = 'node20 folder';", "shared/data.txt": "from b" }) } }));
    const code = `const fs = require("node:fs"); const path = require("node:path");
exports.handler = async () => {
  const opt = process.env.NIMBUS_LAMBDA_OPT;
  return { greet: require("greeter").greet("you"), versioned: require("versioned").v, data: fs.readFileSync(path.join(opt, "shared/data.txt"), "utf8"), onlyA: fs.readFileSync(path.join(opt, "shared/only-a.txt"), "utf8") };
};`;
    const created = await lambda.send(new CreateFunctionCommand({ FunctionName: "with-layers", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": code }) }, Layers: [a.LayerVersionArn!, b.LayerVersionArn!] }));
    expect(created.Layers).toEqual([
      { Arn: a.LayerVersionArn, CodeSize: a.Content!.CodeSize },
      { Arn: b.LayerVersionArn, CodeSize: b.Content!.CodeSize },
    ]);
    const r = await lambda.send(new InvokeCommand({ FunctionName: "with-layers" }));
    expect(r.FunctionError).toBeUndefined();
    expect(dec(r.Payload)).toEqual({ greet: "hi you from a", versioned: "node20 folder", data: "from b", onlyA: "a" });
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: "with-layers" }))).Configuration!.Layers).toEqual(created.Layers);
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "with-layers" }))).Layers!.map((l) => l.Arn)).toEqual([a.LayerVersionArn, b.LayerVersionArn]);

    // Reversed order: layer a's file wins now.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "with-layers", Layers: [b.LayerVersionArn!, a.LayerVersionArn!] }));
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "with-layers" }))).Payload).data).toBe("from a");

    // A deleted layer version keeps serving the functions that use it.
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: "node-a", VersionNumber: 1 }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "with-layers", Description: "new environment" }));
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "with-layers" }))).Payload).greet).toBe("hi you from a");

    // Removing the layers removes /opt's modules.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "with-layers", Layers: [] }));
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "with-layers" }))).Layers).toBeUndefined();
    const without = await lambda.send(new InvokeCommand({ FunctionName: "with-layers" }));
    expect(without.FunctionError).toBe("Unhandled");
    expect(dec(without.Payload).errorMessage).toMatch(/Cannot find module 'greeter'/);
  });

  it("lets Python import from /opt/python", async () => {
    const arn = layerArn("shared-lib", 2);
    await lambda.send(new CreateFunctionCommand({ FunctionName: "py-layers", Runtime: "python3.12", Role: role, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": "import mylib\n\ndef handler(event, context):\n    return {'said': mylib.hello()}\n" }) }, Layers: [arn] }));
    const r = await lambda.send(new InvokeCommand({ FunctionName: "py-layers" }));
    expect(r.FunctionError).toBeUndefined();
    expect(dec(r.Payload)).toEqual({ said: "hello from a python layer" });
  });

  it("runs a provided runtime whose bootstrap comes from a layer", async () => {
    const bootstrap = `#!/usr/bin/env node
const http = require("node:http");
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const call = (method, path, body) => new Promise((ok, fail) => {
  const req = http.request("http://" + api + "/2018-06-01/runtime" + path, { method }, (res) => { let d = ""; res.on("data", (c) => d += c); res.on("end", () => ok({ headers: res.headers, body: d })); });
  req.on("error", fail); req.end(body);
});
(async () => { for (;;) {
  const next = await call("GET", "/invocation/next");
  await call("POST", "/invocation/" + next.headers["lambda-runtime-aws-request-id"] + "/response", JSON.stringify({ fromLayer: true, handler: process.env._HANDLER, event: JSON.parse(next.body) }));
} })();
`;
    const runtime = await lambda.send(new PublishLayerVersionCommand({ LayerName: "custom-runtime", Content: { ZipFile: zip({ bootstrap }, ["bootstrap"]) }, CompatibleRuntimes: ["provided.al2023"] }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "layer-runtime", Runtime: "provided.al2023", Role: role, Handler: "any.thing", Code: { ZipFile: zip({ "README.txt": "code without a bootstrap" }) }, Layers: [runtime.LayerVersionArn!] }));
    const r = await lambda.send(new InvokeCommand({ FunctionName: "layer-runtime", Payload: Buffer.from('{"k":1}') }));
    expect(r.FunctionError).toBeUndefined();
    expect(dec(r.Payload)).toEqual({ fromLayer: true, handler: "any.thing", event: { k: 1 } });
  });

  it("refuses more than five layers, missing versions, two versions of one layer and unversioned ARNs, with AWS's errors", async () => {
    const base = { Runtime: "nodejs20.x" as const, Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async () => 1;" }) } };
    const six = await fail(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "too-many", Layers: Array.from({ length: 6 }, (_, i) => layerArn(`l${i}`, 1)) })));
    expect([six.name, six.$metadata.httpStatusCode, six.message]).toEqual(["InvalidParameterValueException", 400, "Cannot reference more than 5 layers."]);
    const missing = await fail(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "missing-layer", Layers: [layerArn("shared-lib", 99)] })));
    expect([missing.name, missing.message]).toEqual(["InvalidParameterValueException", `Layer version ${layerArn("shared-lib", 99)} does not exist.`]);
    const twice = await fail(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "twice", Layers: [layerArn("shared-lib", 1), layerArn("shared-lib", 2)] })));
    expect(twice.name).toBe("InvalidParameterValueException");
    expect(twice.message).toMatch(/^Two different versions of the same layer/);
    const unversioned = await fail(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "unversioned", Layers: [layerArn("shared-lib")] })));
    expect([unversioned.name, unversioned.$metadata.httpStatusCode]).toEqual(["ValidationException", 400]);
    const region = await fail(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "elsewhere", Layers: [`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:shared-lib:1`] })));
    expect(region.message).toBe("Layers are not in the same region as the function. Layers are expected to be in region us-east-1.");
    // Nothing was created.
    for (const name of ["too-many", "missing-layer", "twice", "unversioned", "elsewhere"]) expect((await fail(lambda.send(new GetFunctionCommand({ FunctionName: name })))).name).toBe("ResourceNotFoundException");
    await lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "plain" }));
    const update = await fail(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "plain", Layers: [layerArn("shared-lib", 99)] })));
    expect(update.name).toBe("InvalidParameterValueException");
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "plain" }))).Layers).toBeUndefined();
  });

  it("uses another account's layer only once its policy allows that account", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "layers-partner@example.com" }) });
    const other = (await res.json()) as { accessKeyId: string; secretAccessKey: string; accountId: string };
    const config = { ...sdkConfig(n), credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } };
    const theirs = new LambdaClient(config);
    const theirRole = (await new IAMClient(config).send(new CreateRoleCommand({ RoleName: "partner-fn", AssumeRolePolicyDocument: TRUST_LAMBDA }))).Role!.Arn!;
    const published = await lambda.send(new PublishLayerVersionCommand({ LayerName: "shared-out", Content: { ZipFile: zip({ "nodejs/node_modules/shared/index.js": "exports.ok = 'shared across accounts';" }) } }));
    const create = () =>
      theirs.send(new CreateFunctionCommand({ FunctionName: "consumer", Runtime: "nodejs20.x", Role: theirRole, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async () => require('shared').ok;" }) }, Layers: [published.LayerVersionArn!] }));
    const denied = await fail(create());
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 403]);
    expect((await fail(theirs.send(new GetLayerVersionByArnCommand({ Arn: published.LayerVersionArn! })))).$metadata.httpStatusCode).toBe(403);
    await lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "shared-out", VersionNumber: 1, StatementId: "partner", Action: "lambda:GetLayerVersion", Principal: other.accountId }));
    expect((await theirs.send(new GetLayerVersionByArnCommand({ Arn: published.LayerVersionArn! }))).Version).toBe(1);
    await create();
    expect(dec((await theirs.send(new InvokeCommand({ FunctionName: "consumer" }))).Payload)).toBe("shared across accounts");
  });
});

describe("provisioned concurrency", () => {
  const WARM_JS = `let count = 0;
console.log("INIT ran", process.env.AWS_LAMBDA_INITIALIZATION_TYPE);
exports.handler = async () => ({ initType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, count: ++count, pid: process.pid });`;
  const get = (Qualifier: string) => lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier }));

  it("pre-warms a version's environments (init before the first invocation), keeps them while configured, and lets them go when deleted", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "warm", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": WARM_JS }) } }));
    const latest = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "$LATEST", ProvisionedConcurrentExecutions: 1 })));
    expect([latest.name, latest.$metadata.httpStatusCode, latest.message]).toEqual(["InvalidParameterValueException", 400, "Provisioned Concurrency Configs cannot be applied to unpublished function versions."]);
    const noVersion = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "7", ProvisionedConcurrentExecutions: 1 })));
    expect([noVersion.name, noVersion.$metadata.httpStatusCode]).toEqual(["ResourceNotFoundException", 404]);
    await lambda.send(new PublishVersionCommand({ FunctionName: "warm" }));
    const zero = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "1", ProvisionedConcurrentExecutions: 0 })));
    expect(zero.name).toBe("ValidationException");
    const none = await fail(get("1"));
    expect([none.name, none.$metadata.httpStatusCode]).toEqual(["ProvisionedConcurrencyConfigNotFoundException", 404]);

    const put = await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "1", ProvisionedConcurrentExecutions: 2 }));
    expect(put).toMatchObject({ RequestedProvisionedConcurrentExecutions: 2, AllocatedProvisionedConcurrentExecutions: 0, Status: "IN_PROGRESS" });
    const ready = await until(() => get("1"), (c) => c.Status === "READY", "READY");
    expect(ready).toMatchObject({ RequestedProvisionedConcurrentExecutions: 2, AvailableProvisionedConcurrentExecutions: 2, AllocatedProvisionedConcurrentExecutions: 2 });

    // Both environments ran their init code before anything invoked the function.
    await drain();
    const logs = new CloudWatchLogsClient(sdkConfig(n));
    const before = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/warm" }));
    const inits = before.events!.filter((e) => /INIT ran provisioned-concurrency/.test(e.message!));
    expect(inits).toHaveLength(2);
    expect(before.events!.some((e) => /^START RequestId/.test(e.message!))).toBe(false);

    const first = await lambda.send(new InvokeCommand({ FunctionName: "warm", Qualifier: "1", LogType: "Tail" }));
    expect(dec(first.Payload)).toMatchObject({ initType: "provisioned-concurrency", count: 1 });
    const tail = Buffer.from(first.LogResult!, "base64").toString("utf8");
    expect(tail).toMatch(/REPORT RequestId/);
    expect(tail).not.toContain("Init Duration");
    expect(tail).not.toContain("INIT ran");

    // Long idle: provisioned environments are not reaped.
    await n.clock.advance(3600);
    const later = await lambda.send(new InvokeCommand({ FunctionName: "warm", Qualifier: "1", LogType: "Tail" }));
    expect(dec(later.Payload).initType).toBe("provisioned-concurrency");
    expect(Buffer.from(later.LogResult!, "base64").toString("utf8")).not.toContain("Init Duration");

    const list = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: "warm" }));
    expect(list.ProvisionedConcurrencyConfigs).toEqual([expect.objectContaining({ FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:warm:1`, Status: "READY", RequestedProvisionedConcurrentExecutions: 2 })]);

    await lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "1" }));
    expect((await fail(get("1"))).name).toBe("ProvisionedConcurrencyConfigNotFoundException");
    // Deleting again succeeds; $LATEST is refused.
    await lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "1" }));
    expect((await fail(lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "$LATEST" })))).name).toBe("InvalidParameterValueException");
    await n.clock.advance(3600);
    const cold = await lambda.send(new InvokeCommand({ FunctionName: "warm", Qualifier: "1", LogType: "Tail" }));
    expect(dec(cold.Payload)).toMatchObject({ initType: "on-demand", count: 1 });
    expect(Buffer.from(cold.LogResult!, "base64").toString("utf8")).toContain("Init Duration");
  });

  it("works on an alias, refuses overlapping configurations, and respects reserved concurrency", async () => {
    await lambda.send(new CreateAliasCommand({ FunctionName: "warm", Name: "live", FunctionVersion: "1" }));
    await lambda.send(new CreateAliasCommand({ FunctionName: "warm", Name: "edge", FunctionVersion: "$LATEST" }));
    const onLatest = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "edge", ProvisionedConcurrentExecutions: 1 })));
    expect(onLatest.name).toBe("InvalidParameterValueException");
    const noAlias = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "nope", ProvisionedConcurrentExecutions: 1 })));
    expect([noAlias.name, noAlias.message]).toEqual(["ResourceNotFoundException", `Cannot find alias arn: arn:aws:lambda:us-east-1:${ACCOUNT}:function:warm:nope`]);

    await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "live", ProvisionedConcurrentExecutions: 1 }));
    await until(() => get("live"), (c) => c.Status === "READY", "alias READY");
    const viaAlias = await lambda.send(new InvokeCommand({ FunctionName: "warm", Qualifier: "live", LogType: "Tail" }));
    expect(dec(viaAlias.Payload).initType).toBe("provisioned-concurrency");
    expect(viaAlias.ExecutedVersion).toBe("1");
    const overlap = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: "1", ProvisionedConcurrentExecutions: 1 })));
    expect([overlap.name, overlap.$metadata.httpStatusCode, overlap.message]).toEqual(["ResourceConflictException", 409, "Version is pointed by a Provisioned Concurrency alias"]);

    // Reserved concurrency below the provisioned total is refused, and provisioned concurrency may not exceed it.
    const low = await fail(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "warm", ReservedConcurrentExecutions: 0 })));
    expect(low.name).toBe("InvalidParameterValueException");
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "warm", ReservedConcurrentExecutions: 2 }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "warm", Timeout: 5 }));
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: "warm" }));
    const over = await fail(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: v2.Version!, ProvisionedConcurrentExecutions: 2 })));
    expect([over.name, over.message]).toEqual(["InvalidParameterValueException", "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"]);
    await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "warm", Qualifier: v2.Version!, ProvisionedConcurrentExecutions: 1 }));
    await until(() => get(v2.Version!), (c) => c.Status === "READY", "second READY");
    expect((await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: "warm" }))).ProvisionedConcurrencyConfigs!.map((c) => c.FunctionArn!.split(":").pop()).sort()).toEqual([v2.Version!, "live"].sort());
    // Deleting the alias deletes its configuration.
    await lambda.send(new DeleteAliasCommand({ FunctionName: "warm", Name: "live" }));
    expect((await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: "warm" }))).ProvisionedConcurrencyConfigs!.map((c) => c.FunctionArn!.split(":").pop())).toEqual([v2.Version!]);
  });

  it("reports FAILED when the init code fails", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "broken-init", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "throw new Error('init failed');" }) }, Publish: true }));
    await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: "broken-init", Qualifier: "1", ProvisionedConcurrentExecutions: 1 }));
    const failed = await until(() => lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: "broken-init", Qualifier: "1" })), (c) => c.Status !== "IN_PROGRESS", "FAILED");
    expect(failed).toMatchObject({ Status: "FAILED", StatusReason: "FUNCTION_ERROR_INIT_FAILURE", AllocatedProvisionedConcurrentExecutions: 0 });
  });
});
