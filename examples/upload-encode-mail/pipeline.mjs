// The upload -> encode -> mail pipeline, written against the AWS SDK for JavaScript v3 only:
// it runs unchanged on AWS or on Nimbus (set AWS_ENDPOINT_URL=http://127.0.0.1:4566).
//
//   1. setup: two buckets, a work queue whose policy lets S3 send to it, an S3 event
//      notification (ObjectCreated -> queue), verified SES identities.
//   2. uploader: puts a file into the uploads bucket (the user's address in its metadata).
//   3. encoder: long-polls the queue, reads each uploaded object, "encodes" it (gzip),
//      writes the result to the output bucket, mails the user through SES, deletes the job.
import { gzipSync } from "node:zlib";
import { S3Client, CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { SESClient, VerifyEmailIdentityCommand, SendEmailCommand } from "@aws-sdk/client-ses";

const suffix = process.env.PIPELINE_SUFFIX ?? String(Date.now());
const UPLOADS = `uploads-${suffix}`;
const ENCODED = `encoded-${suffix}`;
const QUEUE = `encode-jobs-${suffix}`;
const SENDER = process.env.PIPELINE_SENDER ?? "encoder@example.com";
const USER = process.env.PIPELINE_USER ?? "user@example.com";

const config = {
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
  ...(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {}),
};
const s3 = new S3Client({ ...config, forcePathStyle: true });
const sqs = new SQSClient(config);
const ses = new SESClient(config);

async function setup() {
  await s3.send(new CreateBucketCommand({ Bucket: UPLOADS }));
  await s3.send(new CreateBucketCommand({ Bucket: ENCODED }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const queueArn = Attributes.QueueArn;
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "s3.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: queueArn,
              Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${UPLOADS}` } },
            },
          ],
        }),
      },
    }),
  );
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: UPLOADS,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queueArn, Events: ["s3:ObjectCreated:*"] }] },
    }),
  );
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: USER }));
  return QueueUrl;
}

async function upload(key, body) {
  await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: body, Metadata: { "notify-email": USER } }));
}

/** One encoder pass: handle what the queue has; returns the number of files encoded. */
async function encodeOnce(queueUrl) {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
  let encoded = 0;
  for (const m of Messages) {
    const event = JSON.parse(m.Body);
    for (const record of event.Records ?? []) {
      const bucket = record.s3.bucket.name;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const input = Buffer.from(await obj.Body.transformToByteArray());
      const output = gzipSync(input);
      const outKey = `${key}.gz`;
      await s3.send(new PutObjectCommand({ Bucket: ENCODED, Key: outKey, Body: output, ContentType: "application/gzip" }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const to = head.Metadata?.["notify-email"] ?? USER;
      await ses.send(
        new SendEmailCommand({
          Source: SENDER,
          Destination: { ToAddresses: [to] },
          Message: {
            Subject: { Data: `Your file ${key} is ready` },
            Body: { Text: { Data: `We encoded ${key} (${input.length} bytes -> ${output.length} bytes). Find it at s3://${ENCODED}/${outKey}.` } },
          },
        }),
      );
      encoded++;
    }
    // s3:TestEvent messages and handled jobs alike leave the queue.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
  return encoded;
}

export async function runPipeline(files = { "videos/cat.raw": "meow ".repeat(1000), "videos/dog.raw": "woof ".repeat(500) }) {
  const queueUrl = await setup();
  for (const [key, body] of Object.entries(files)) await upload(key, body);
  let done = 0;
  for (let pass = 0; pass < 10 && done < Object.keys(files).length; pass++) done += await encodeOnce(queueUrl);
  return { encoded: done, uploads: UPLOADS, encodedBucket: ENCODED, queue: QUEUE };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPipeline();
  console.log(JSON.stringify(result));
}
