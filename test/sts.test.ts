/** STS GetCallerIdentity through every official client, with a good and a wrong secret. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { AwsJson1_0Protocol } from "@aws-sdk/core/protocols";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

describe("STS GetCallerIdentity", () => {
  it("answers the root user over the query protocol (SDK v3)", async () => {
    const sts = new STSClient(sdkConfig(n));
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("000000000000");
    expect(out.Arn).toBe("arn:aws:iam::000000000000:root");
    expect(out.UserId).toBe("000000000000");
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it("answers over awsJson 1.0 (SDK v3 with the JSON protocol)", async () => {
    const sts = new STSClient({
      ...sdkConfig(n),
      protocol: AwsJson1_0Protocol,
      protocolSettings: {
        defaultNamespace: "com.amazonaws.sts",
        serviceTarget: "AWSSecurityTokenServiceV20110615",
        awsQueryCompatible: true,
      },
    } as NonNullable<ConstructorParameters<typeof STSClient>[0]>);
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe("arn:aws:iam::000000000000:root");
  });

  it("rejects a wrong secret with SignatureDoesNotMatch (SDK v3)", async () => {
    const sts = new STSClient(sdkConfig(n, { secretAccessKey: "wrong" }));
    const err = await sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect((err as { name: string }).name).toBe("SignatureDoesNotMatch");
    expect((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
  });

  it("rejects an unknown access key with InvalidClientTokenId (SDK v3)", async () => {
    const sts = new STSClient(sdkConfig(n, { accessKeyId: "AKIANOTAKEY" }));
    const err = await sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect((err as { name: string }).name).toBe("InvalidClientTokenId");
  });

  it("works with the AWS CLI", async () => {
    const r = await awsCli(n, ["sts", "get-caller-identity"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      UserId: "000000000000",
      Account: "000000000000",
      Arn: "arn:aws:iam::000000000000:root",
    });
    const bad = await awsCli(n, ["sts", "get-caller-identity"], { secret: "wrong" });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("SignatureDoesNotMatch");
  });

  it("works with boto3", async () => {
    const code = [
      "sts = client('sts')",
      "print(json.dumps(sts.get_caller_identity()['Arn']))",
      "try:",
      "    client('sts', aws_access_key_id='test', aws_secret_access_key='wrong').get_caller_identity()",
      "except botocore.exceptions.ClientError as e:",
      "    print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]))",
    ].join("\n");
    const r = await boto3(n, code);
    expect(r.stderr).toBe("");
    const [arn, err] = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(arn).toBe("arn:aws:iam::000000000000:root");
    expect(err).toEqual(["SignatureDoesNotMatch", 403]);
  });
});
