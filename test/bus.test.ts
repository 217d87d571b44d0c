/** The delivery bus: one instance's services hand messages to each other by ARN. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { DeliveryBus, NoDeliveryTarget, arnService, type Delivery } from "../src/core/bus.js";
import { s3EventsSettled } from "../src/services/s3/events.js";
import { startTestNimbus } from "./helpers.js";
import { s3Client } from "./s3-objects-helpers.js";

describe("DeliveryBus", () => {
  it("routes by the ARN's service and says when nobody takes it", async () => {
    const bus = new DeliveryBus();
    expect(arnService("arn:aws:sqs:us-east-1:000000000000:q")).toBe("sqs");
    expect(arnService("not-an-arn")).toBeUndefined();
    await expect(bus.deliver("arn:aws:sqs:us-east-1:000000000000:q", { body: "x", sender: { account: "1" } })).rejects.toBeInstanceOf(NoDeliveryTarget);
    const got: string[] = [];
    const off = bus.register("sqs", async (arn, d) => {
      got.push(`${arn} ${d.body}`);
      return { messageId: "m-1" };
    });
    expect(bus.accepts("arn:aws:sqs:us-east-1:000000000000:q")).toBe(true);
    expect(bus.accepts("arn:aws:sns:us-east-1:000000000000:t")).toBe(false);
    expect(await bus.deliver("arn:aws:sqs:us-east-1:000000000000:q", { body: "hello", sender: { account: "1" } })).toEqual({ messageId: "m-1" });
    expect(got).toEqual(["arn:aws:sqs:us-east-1:000000000000:q hello"]);
    off();
    expect(bus.accepts("arn:aws:sqs:us-east-1:000000000000:q")).toBe(false);
  });
});

describe("S3 event notifications through an instance's bus", () => {
  let n: Nimbus;
  let s3: S3Client;
  beforeAll(async () => {
    n = await startTestNimbus();
    s3 = s3Client(n);
  });
  afterAll(async () => {
    await n.stop();
  });

  it("delivers the event JSON to the target that owns the ARN, naming S3 and the bucket as sender", async () => {
    const topic = "arn:aws:sns:us-east-1:000000000000:bus-test-topic";
    const got: { arn: string; d: Delivery }[] = [];
    // Stand in for SNS only if no real SNS target is registered by this instance.
    const off = n.bus.accepts(topic) ? () => {} : n.bus.register("sns", async (arn, d) => (got.push({ arn, d }), {}));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "bus-events" }));
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: "bus-events",
          NotificationConfiguration: { TopicConfigurations: [{ Id: "t", TopicArn: topic, Events: ["s3:ObjectCreated:*"] }] },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: "bus-events", Key: "a.txt", Body: "hi" }));
      await s3EventsSettled();
      if (got.length === 0) return; // a real SNS took it; its own tests cover delivery
      const test = JSON.parse(got[0]!.d.body) as { Event?: string };
      expect(test.Event).toBe("s3:TestEvent");
      const last = got[got.length - 1]!;
      expect(last.arn).toBe(topic);
      expect(last.d.sender).toEqual({ servicePrincipal: "s3.amazonaws.com", account: "000000000000", sourceArn: "arn:aws:s3:::bus-events" });
      const record = (JSON.parse(last.d.body) as { Records: { eventName: string; s3: { object: { key: string } } }[] }).Records[0]!;
      expect(record.eventName).toBe("ObjectCreated:Put");
      expect(record.s3.object.key).toBe("a.txt");
    } finally {
      off();
    }
  });
});
