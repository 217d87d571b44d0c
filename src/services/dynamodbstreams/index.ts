/**
 * Amazon DynamoDB Streams (DynamoDBStreams_20120810): the read API over the stream records the
 * DynamoDB item-write path appends. Starting the service starts record capture (a change
 * listener on the write path) and a retention sweep on the clock.
 */
import { defineService, type ServiceRuntime } from "../../core/service.js";
import type { DynamodbstreamsOperations } from "../../generated/dynamodbstreams.js";
import { startStreamCapture, sweepStreams } from "../dynamodb/streams.js";
import { decodeIterator, handlers } from "./provider.js";

const running = new WeakMap<ServiceRuntime, { timer: NodeJS.Timeout; off: () => void; stopCapture: () => void }>();

async function sweep(runtime: ServiceRuntime): Promise<void> {
  for (const scope of await runtime.storage.metadata.scopes("dynamodb", "streams")) {
    await sweepStreams(runtime.storage.metadata, scope, runtime.clock.nowMs());
  }
}

const onStream = (_ctx: unknown, input: Record<string, unknown>) => ({ resources: [String(input.StreamArn ?? "*")] });

export const dynamodbstreams = defineService<DynamodbstreamsOperations>({
  name: "dynamodbstreams",
  iamPrefix: "dynamodb",
  handlers,
  start(runtime) {
    const stopCapture = startStreamCapture();
    let busy = false;
    const run = () => {
      if (busy) return;
      busy = true;
      sweep(runtime)
        .catch((e: unknown) => runtime.logger.warn(`dynamodb streams retention: ${String(e)}`))
        .finally(() => (busy = false));
    };
    const timer = setInterval(run, 60_000);
    timer.unref();
    running.set(runtime, { timer, off: runtime.clock.onAdvance(run), stopCapture });
  },
  stop(runtime) {
    const r = running.get(runtime);
    if (!r) return;
    clearInterval(r.timer);
    r.off();
    r.stopCapture();
    running.delete(runtime);
  },
  authorization: {
    DescribeStream: onStream,
    GetShardIterator: onStream,
    GetRecords: (_ctx, input) => {
      try {
        return { resources: [decodeIterator(String(input.ShardIterator)).a] };
      } catch {
        return { resources: ["*"] };
      }
    },
    ListStreams: (ctx, input) => ({
      resources: [`arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${input.TableName === undefined ? "*" : String(input.TableName)}/stream/*`],
    }),
  },
});
