/** The upload -> encode -> mail example (examples/upload-encode-mail) runs unchanged against Nimbus: S3 events to SQS, an encoder polling the queue, SES mail in the mailbox. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../examples/upload-encode-mail/pipeline.mjs", import.meta.url));
let n: Nimbus;

beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

describe("upload -> encode -> mail", () => {
  it("runs the example script and mails the user for every encoded file", async () => {
    const { stdout } = await run(process.execPath, [script], {
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: n.endpoint,
        AWS_ACCESS_KEY_ID: n.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: n.credentials.secretAccessKey,
        AWS_REGION: n.region,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        PIPELINE_SUFFIX: "t1",
      },
      timeout: 50_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { encoded: number; encodedBucket: string };
    expect(result.encoded).toBe(2);
    const mails = (await (await fetch(`${n.endpoint}/_nimbus/ses/messages?recipient=user@example.com`)).json()) as { subject: string; from: string; text: string }[];
    expect(mails.map((m) => m.subject).sort()).toEqual(["Your file videos/cat.raw is ready", "Your file videos/dog.raw is ready"]);
    expect(mails[0]!.from).toBe("encoder@example.com");
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    const obj = await s3.send(new GetObjectCommand({ Bucket: result.encodedBucket, Key: "videos/cat.raw.gz" }));
    expect(gunzipSync(Buffer.from(await obj.Body!.transformToByteArray())).toString()).toBe("meow ".repeat(1000));
  });
});
