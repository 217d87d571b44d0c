/** Lambda functions: create/read/update/delete with AWS's validation, versions, aliases, tags, permissions, through SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LambdaClient,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  DeleteFunctionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  PublishVersionCommand,
  ListVersionsByFunctionCommand,
  CreateAliasCommand,
  GetAliasCommand,
  UpdateAliasCommand,
  ListAliasesCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  DeleteFunctionConcurrencyCommand,
  AddPermissionCommand,
  RemovePermissionCommand,
  GetPolicyCommand,
  GetAccountSettingsCommand,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { S3Client, CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { ECHO_JS, executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let role: string;
const code = () => ({ ZipFile: zip({ "index.js": ECHO_JS }) });

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  role = await executionRole(n, "fn-role");
});
afterAll(async () => {
  await n.stop();
});

describe("functions", () => {
  it("creates (Pending, then Active), reads, lists and deletes", async () => {
    const created = await lambda.send(new CreateFunctionCommand({ FunctionName: "crud", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: code(), Environment: { Variables: { A: "1" } }, Tags: { team: "x" } }));
    expect(created).toMatchObject({ FunctionName: "crud", State: "Pending", Version: "$LATEST", Timeout: 3, MemorySize: 128, PackageType: "Zip", Architectures: ["x86_64"], EphemeralStorage: { Size: 512 } });
    expect(created.FunctionArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:crud");
    expect(created.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: "crud" });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: "crud" }));
    expect(got.Configuration).toMatchObject({ State: "Active", LastUpdateStatus: "Successful", Environment: { Variables: { A: "1" } }, CodeSha256: created.CodeSha256 });
    expect(got.Tags).toEqual({ team: "x" });
    // Code.Location downloads the package.
    const zipBytes = Buffer.from(await (await fetch(got.Code!.Location!)).arrayBuffer());
    expect(zipBytes.equals(Buffer.from(code().ZipFile))).toBe(true);
    expect((await fetch(got.Code!.Location!.replace(/signature=[0-9a-f]+/, "signature=00"))).status).toBe(403);
    const byArn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: created.FunctionArn }));
    expect(byArn.FunctionName).toBe("crud");
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions!.map((f) => f.FunctionName)).toContain("crud");
    expect((await lambda.send(new GetAccountSettingsCommand({}))).AccountUsage!.FunctionCount).toBeGreaterThanOrEqual(1);
    await expect(lambda.send(new CreateFunctionCommand({ FunctionName: "crud", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: code() }))).rejects.toMatchObject({
      name: "ResourceConflictException",
      message: "Function already exist: crud",
      $metadata: { httpStatusCode: 409 },
    });
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "crud" }));
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: "crud" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:crud",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("validates as AWS does, writing nothing on failure", async () => {
    const base = { FunctionName: "bad", Runtime: "nodejs20.x" as const, Role: role, Handler: "index.handler", Code: code() };
    const untrusting = await executionRole(n, "no-lambda", [], JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }));
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Role: untrusting }))).rejects.toMatchObject({ name: "InvalidParameterValueException", message: "The role defined for the function cannot be assumed by Lambda." });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Role: "arn:aws:iam::000000000000:role/missing" }))).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Role: "not-an-arn" }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Timeout: 901 }))).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("less than or equal to 900") });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, MemorySize: 64 }))).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("greater than or equal to 128") });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, EphemeralStorage: { Size: 100 } }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Runtime: "cobol" as never }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Runtime: "nodejs12.x" }))).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Environment: { Variables: { AWS_REGION: "x" } } }))).rejects.toMatchObject({ name: "InvalidParameterValueException", message: expect.stringContaining("reserved keys") });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Code: { ZipFile: Buffer.from("not a zip") } }))).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: "Could not unzip uploaded file. Please check your file, then try to upload again.",
    });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, PackageType: "Image", Code: { ImageUri: "x.dkr.ecr.us-east-1.amazonaws.com/r:latest" }, Runtime: undefined, Handler: undefined }))).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: expect.stringContaining("container engine"),
    });
    await expect(lambda.send(new CreateFunctionCommand({ ...base, FunctionName: "bad name" }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: "bad" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("creates from an S3 object", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "deploy-bucket" }));
    await s3.send(new PutObjectCommand({ Bucket: "deploy-bucket", Key: "fn.zip", Body: code().ZipFile }));
    const f = await lambda.send(new CreateFunctionCommand({ FunctionName: "from-s3", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { S3Bucket: "deploy-bucket", S3Key: "fn.zip" } }));
    expect(f.CodeSize).toBe(code().ZipFile.length);
    await expect(lambda.send(new CreateFunctionCommand({ FunctionName: "from-s3-missing", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { S3Bucket: "deploy-bucket", S3Key: "nope.zip" } }))).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: expect.stringContaining("NoSuchKey"),
    });
  });

  it("updates code and configuration, with RevisionId preconditions", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "upd", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: code() }));
    const u = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "upd", Timeout: 10, MemorySize: 256, Description: "d", Environment: { Variables: { B: "2" } } }));
    expect(u).toMatchObject({ Timeout: 10, MemorySize: 256, Description: "d", LastUpdateStatus: "InProgress" });
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "upd" }))).LastUpdateStatus).toBe("Successful");
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "upd", Timeout: 5, RevisionId: "stale" }))).rejects.toMatchObject({ name: "PreconditionFailedException", $metadata: { httpStatusCode: 412 } });
    const c = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "upd", ZipFile: zip({ "index.js": "exports.handler = async () => 2;" }) }));
    expect(c.CodeSha256).not.toBe(u.CodeSha256);
    expect(c.Timeout).toBe(10);
  });

  it("publishes versions and routes aliases", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "ver", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: code() }));
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: "ver", Description: "first" }));
    expect(v1).toMatchObject({ Version: "1", FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:ver:1", Description: "first" });
    // Nothing changed: the same version again.
    expect((await lambda.send(new PublishVersionCommand({ FunctionName: "ver" }))).Version).toBe("1");
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "ver", Timeout: 7 }));
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: "ver" }));
    expect(v2.Version).toBe("2");
    expect((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "ver" }))).Versions!.map((v) => v.Version)).toEqual(["$LATEST", "1", "2"]);
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "ver", Qualifier: "1" }))).Timeout).toBe(3);
    const alias = await lambda.send(new CreateAliasCommand({ FunctionName: "ver", Name: "live", FunctionVersion: "1", RoutingConfig: { AdditionalVersionWeights: { "2": 0.5 } } }));
    expect(alias.AliasArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:ver:live");
    await expect(lambda.send(new CreateAliasCommand({ FunctionName: "ver", Name: "live", FunctionVersion: "1" }))).rejects.toMatchObject({ name: "ResourceConflictException" });
    await expect(lambda.send(new CreateAliasCommand({ FunctionName: "ver", Name: "x", FunctionVersion: "9" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await lambda.send(new UpdateAliasCommand({ FunctionName: "ver", Name: "live", FunctionVersion: "2", RoutingConfig: { AdditionalVersionWeights: {} } }));
    expect(await lambda.send(new GetAliasCommand({ FunctionName: "ver", Name: "live" }))).toMatchObject({ FunctionVersion: "2" });
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "ver:live" }))).Timeout).toBe(7);
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: "ver" }))).Aliases!.map((a) => a.Name)).toEqual(["live"]);
    await expect(lambda.send(new DeleteFunctionCommand({ FunctionName: "ver", Qualifier: "2" }))).rejects.toMatchObject({ name: "ResourceConflictException" });
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "ver", Qualifier: "1" }));
    expect((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "ver" }))).Versions!.map((v) => v.Version)).toEqual(["$LATEST", "2"]);
  });

  it("tags, reserved concurrency and resource policies", async () => {
    const f = await lambda.send(new CreateFunctionCommand({ FunctionName: "meta", Runtime: "python3.11", Role: role, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": "def handler(e, c):\n    return e\n" }) } }));
    await lambda.send(new TagResourceCommand({ Resource: f.FunctionArn, Tags: { a: "1", b: "2" } }));
    await lambda.send(new UntagResourceCommand({ Resource: f.FunctionArn, TagKeys: ["a"] }));
    expect((await lambda.send(new ListTagsCommand({ Resource: f.FunctionArn }))).Tags).toEqual({ b: "2" });
    expect(await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "meta", ReservedConcurrentExecutions: 5 }))).toMatchObject({ ReservedConcurrentExecutions: 5 });
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: "meta" }))).ReservedConcurrentExecutions).toBe(5);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: "meta" }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 5 });
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: "meta" }));
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: "meta" }))).ReservedConcurrentExecutions).toBeUndefined();
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: "meta" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const added = await lambda.send(new AddPermissionCommand({ FunctionName: "meta", StatementId: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::b", SourceAccount: "000000000000" }));
    expect(JSON.parse(added.Statement!)).toMatchObject({ Sid: "s3", Principal: { Service: "s3.amazonaws.com" }, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:s3:::b" } } });
    await expect(lambda.send(new AddPermissionCommand({ FunctionName: "meta", StatementId: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com" }))).rejects.toMatchObject({ name: "ResourceConflictException" });
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "meta" }))).Policy!);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["s3"]);
    await lambda.send(new RemovePermissionCommand({ FunctionName: "meta", StatementId: "s3" }));
    await expect(lambda.send(new RemovePermissionCommand({ FunctionName: "meta", StatementId: "s3" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("works through the AWS CLI and boto3", async () => {
    const cli = await awsCli(n, ["lambda", "get-function-configuration", "--function-name", "upd"]);
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ FunctionName: "upd", Timeout: 10 });
    const missing = await awsCli(n, ["lambda", "get-function", "--function-name", "nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ResourceNotFoundException");
    const py = await boto3(n, "c = client('lambda')\nprint(json.dumps([f['FunctionName'] for f in c.list_functions()['Functions']]))");
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual(expect.arrayContaining(["upd", "meta"]));
  });
});
