/**
 * The delivery bus: how one service hands a message to another inside one Nimbus instance.
 *
 * S3 event notifications, SNS subscriptions, CloudWatch alarm actions and (later) EventBridge
 * rules all deliver "a message to an ARN". The service that owns the ARN's kind registers a
 * target at start (`bus.register("sqs", ...)`); a sender calls `bus.deliver(arn, delivery)`
 * and gets the target's result or its error. Targets are per instance (one process may run
 * several Nimbus instances), keyed by the ARN's service field (`arn:aws:<service>:...`).
 *
 * A target decides, as AWS does, whether the sender may deliver: `delivery.sender` says which
 * service principal sends on behalf of which account and source ARN, so a queue or topic policy
 * naming `s3.amazonaws.com` with `aws:SourceArn` can be evaluated.
 */

/** A message attribute as SQS and SNS carry them. */
export interface DeliveryAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export interface Delivery {
  /** The message body (JSON text for service events). */
  body: string;
  attributes?: Record<string, DeliveryAttribute>;
  /** FIFO destinations. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** SNS: subject line (email, and the JSON envelope). */
  subject?: string;
  /** Who sends. */
  sender: {
    /** The service principal that delivers, e.g. `s3.amazonaws.com`, `sns.amazonaws.com`. */
    servicePrincipal?: string;
    /** The account the sending resource belongs to (aws:SourceAccount). */
    account: string;
    /** The sending resource (aws:SourceArn), e.g. the bucket or topic ARN. */
    sourceArn?: string;
  };
}

export interface DeliveryResult {
  /** The destination's id for what it accepted (SQS MessageId, SNS MessageId, ...). */
  messageId?: string;
}

export type DeliveryTarget = (arn: string, delivery: Delivery) => Promise<DeliveryResult>;

/** Thrown by `deliver` when no service takes ARNs of this kind (yet). */
export class NoDeliveryTarget extends Error {
  constructor(readonly arn: string) {
    super(`No Nimbus service takes deliveries to ${arn}`);
    this.name = "NoDeliveryTarget";
  }
}

export class DeliveryBus {
  private readonly targets = new Map<string, DeliveryTarget>();

  /** Register the target for ARNs `arn:<partition>:<service>:...`; returns a function that unregisters it. */
  register(service: string, target: DeliveryTarget): () => void {
    this.targets.set(service, target);
    return () => {
      if (this.targets.get(service) === target) this.targets.delete(service);
    };
  }

  /** Whether some service takes deliveries to this ARN. */
  accepts(arn: string): boolean {
    const service = arnService(arn);
    return service !== undefined && this.targets.has(service);
  }

  /** Deliver to the ARN's owner; rejects with NoDeliveryTarget or the target's own error. */
  async deliver(arn: string, delivery: Delivery): Promise<DeliveryResult> {
    const service = arnService(arn);
    const target = service === undefined ? undefined : this.targets.get(service);
    if (!target) throw new NoDeliveryTarget(arn);
    return target(arn, delivery);
  }
}

/** The service field of an ARN (`arn:aws:sqs:us-east-1:000000000000:q` → `sqs`). */
export function arnService(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length >= 6 && parts[0] === "arn" ? parts[2] : undefined;
}
