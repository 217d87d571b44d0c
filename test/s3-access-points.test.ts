/**
 * S3 access points through S3 Control (SDK v3 puts the account id in the host) and object
 * requests through an access point ARN (`<name>-<account>.localhost`); access point policies
 * enforced with the bucket policy; account-level Block Public Access through S3 Control.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "node:http";
import type { LookupFunction } from "node:net";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  S3ControlClient,
  CreateAccessPointCommand,
  GetAccessPointCommand,
  ListAccessPointsCommand,
  DeleteAccessPointCommand,
  PutAccessPointPolicyCommand,
  GetAccessPointPolicyCommand,
  GetAccessPointPolicyStatusCommand,
  DeleteAccessPointPolicyCommand,
  PutPublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
} from "@aws-sdk/client-s3-control";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { failure } from "./s3-objects-helpers.js";

const ACCOUNT = "000000000000";
let n: Nimbus;
let control: S3ControlClient;
let s3: S3Client;
let endpoint: string;

/** *.localhost answered with the loopback address, as systemd-resolved does. */
const lookup: LookupFunction = (_host, options, cb) => {
  if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
};
const handler = () => new NodeHttpHandler({ httpAgent: new Agent({ lookup }) });
type Creds = { accessKeyId: string; secretAccessKey: string };
const s3With = (credentials?: Creds) => new S3Client({ ...sdkConfig(n), ...(credentials ? { credentials } : {}), endpoint, requestHandler: handler() });

beforeAll(async () => {
  n = await startTestNimbus();
  endpoint = n.endpoint.replace("127.0.0.1", "localhost");
  control = new S3ControlClient({ ...sdkConfig(n), endpoint, requestHandler: handler() });
  s3 = s3With();
});
afterAll(async () => {
  await n?.stop();
});

const apArn = (name: string) => `arn:aws:s3:${n.region}:${ACCOUNT}:accesspoint/${name}`;

describe("S3 Control access points", () => {
  it("creates, describes, lists and deletes access points", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ap-bucket-1" }));
    const created = await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "reports", Bucket: "ap-bucket-1" }));
    expect(created.AccessPointArn).toBe(apArn("reports"));
    expect(created.Alias).toMatch(/-s3alias$/);
    const got = await control.send(new GetAccessPointCommand({ AccountId: ACCOUNT, Name: "reports" }));
    expect(got.Bucket).toBe("ap-bucket-1");
    expect(got.NetworkOrigin).toBe("Internet");
    expect(got.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "other", Bucket: "ap-bucket-1" }));
    const list = await control.send(new ListAccessPointsCommand({ AccountId: ACCOUNT, Bucket: "ap-bucket-1" }));
    expect(list.AccessPointList?.map((a) => a.Name)).toEqual(["other", "reports"]);
    const paged = await control.send(new ListAccessPointsCommand({ AccountId: ACCOUNT, MaxResults: 1 }));
    expect(paged.AccessPointList).toHaveLength(1);
    const rest = await control.send(new ListAccessPointsCommand({ AccountId: ACCOUNT, MaxResults: 1, NextToken: paged.NextToken! }));
    expect(rest.AccessPointList?.[0]?.Name).toBe("reports");

    const again = await failure(control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "reports", Bucket: "ap-bucket-1" })));
    expect(again.name).toBe("AccessPointAlreadyOwnedByYou");
    expect(again.status).toBe(409);
    expect((await failure(control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "xyz1", Bucket: "no-such-bucket-ap" })))).name).toBe("NoSuchBucket");
    expect((await failure(control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "Bad_Name", Bucket: "ap-bucket-1" })))).status).toBe(400);

    await control.send(new DeleteAccessPointCommand({ AccountId: ACCOUNT, Name: "other" }));
    const gone = await failure(control.send(new GetAccessPointCommand({ AccountId: ACCOUNT, Name: "other" })));
    expect(gone.name).toBe("NoSuchAccessPoint");
    expect(gone.status).toBe(404);
  });

  it("keeps access point policies and says whether they are public", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ap-bucket-2" }));
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "pol", Bucket: "ap-bucket-2" }));
    expect((await failure(control.send(new GetAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol" })))).name).toBe("NoSuchAccessPointPolicy");
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "s3:GetObject", Resource: `${apArn("pol")}/object/*` }],
    });
    await control.send(new PutAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol", Policy: policy }));
    expect((await control.send(new GetAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol" }))).Policy).toBe(policy);
    expect((await control.send(new GetAccessPointPolicyStatusCommand({ AccountId: ACCOUNT, Name: "pol" }))).PolicyStatus?.IsPublic).toBe(false);
    const wrongResource = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::ap-bucket-2/*" }] });
    expect((await failure(control.send(new PutAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol", Policy: wrongResource })))).name).toBe("MalformedPolicy");
    // Public policies are refused while the access point blocks them.
    const pub = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${apArn("pol")}/object/*` }] });
    expect((await failure(control.send(new PutAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol", Policy: pub })))).name).toBe("AccessDenied");
    await control.send(new DeleteAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol" }));
    expect((await failure(control.send(new GetAccessPointPolicyCommand({ AccountId: ACCOUNT, Name: "pol" })))).name).toBe("NoSuchAccessPointPolicy");
  });

  it("keeps the account-level Block Public Access settings", async () => {
    expect((await failure(control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT })))).name).toBe("NoSuchPublicAccessBlockConfiguration");
    await control.send(new PutPublicAccessBlockCommand({ AccountId: ACCOUNT, PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true } }));
    const got = await control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT }));
    expect(got.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: true });
    await control.send(new DeletePublicAccessBlockCommand({ AccountId: ACCOUNT }));
    expect((await failure(control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT })))).name).toBe("NoSuchPublicAccessBlockConfiguration");
    // Another account's settings are not yours to read.
    expect((await failure(control.send(new GetPublicAccessBlockCommand({ AccountId: "111111111111" })))).name).toBe("AccessDenied");
  });
});

describe("S3 requests through an access point", () => {
  it("reads and writes the bucket behind an access point ARN", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ap-bucket-3" }));
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "data", Bucket: "ap-bucket-3" }));
    await s3.send(new PutObjectCommand({ Bucket: apArn("data"), Key: "through/ap.txt", Body: "via access point" }));
    const direct = await s3.send(new GetObjectCommand({ Bucket: "ap-bucket-3", Key: "through/ap.txt" }));
    expect(await direct.Body!.transformToString()).toBe("via access point");
    const viaAp = await s3.send(new GetObjectCommand({ Bucket: apArn("data"), Key: "through/ap.txt" }));
    expect(await viaAp.Body!.transformToString()).toBe("via access point");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: apArn("data"), Prefix: "through/" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(["through/ap.txt"]);
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: apArn("nope"), Key: "k" })));
    expect(missing.name).toBe("NoSuchBucket");
  });

  it("enforces the access point policy together with the bucket policy", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ap-bucket-4" }));
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "guarded", Bucket: "ap-bucket-4" }));
    await s3.send(new PutObjectCommand({ Bucket: "ap-bucket-4", Key: "secret", Body: "s" }));
    const iam = new IAMClient(sdkConfig(n));
    await iam.send(new CreateUserCommand({ UserName: "ap-reader" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "ap-reader",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "ap-reader" }))).AccessKey!;
    const reader = s3With({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    expect(await (await reader.send(new GetObjectCommand({ Bucket: apArn("guarded"), Key: "secret" }))).Body!.transformToString()).toBe("s");

    await control.send(
      new PutAccessPointPolicyCommand({
        AccountId: ACCOUNT,
        Name: "guarded",
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/ap-reader` }, Action: "s3:GetObject", Resource: `${apArn("guarded")}/object/*` }],
        }),
      }),
    );
    const denied = await failure(reader.send(new GetObjectCommand({ Bucket: apArn("guarded"), Key: "secret" })));
    expect(denied.name).toBe("AccessDenied");
    // The bucket itself is still open to the user.
    await reader.send(new GetObjectCommand({ Bucket: "ap-bucket-4", Key: "secret" }));
  });

  it("works from boto3 (with *.localhost resolved to the loopback address)", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ap-bucket-py" }));
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name: "pyap", Bucket: "ap-bucket-py" }));
    await s3.send(new PutObjectCommand({ Bucket: "ap-bucket-py", Key: "k", Body: "from python" }));
    const py = await boto3(
      n,
      [
        "import socket",
        "_orig = socket.getaddrinfo",
        "socket.getaddrinfo = lambda host, *a, **kw: _orig('127.0.0.1' if host.endswith('.localhost') else host, *a, **kw)",
        "ep = endpoint.replace('127.0.0.1', 'localhost')",
        "ctl = boto3.client('s3control', endpoint_url=ep, region_name=region, config=cfg)",
        `names = [a['Name'] for a in ctl.list_access_points(AccountId='${ACCOUNT}', Bucket='ap-bucket-py')['AccessPointList']]`,
        "s3 = boto3.client('s3', endpoint_url=ep, region_name=region, config=cfg)",
        `body = s3.get_object(Bucket='${apArn("pyap")}', Key='k')['Body'].read().decode()`,
        "print(json.dumps([names, body]))",
      ].join("\n"),
    );
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual([["pyap"], "from python"]);
  });
});
