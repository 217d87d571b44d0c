/**
 * Event-stream output (`application/vnd.amazon.eventstream`): an output payload member whose shape
 * is marked `eventstream` is, in a handler's output, an async iterable of events, each a
 * one-key object `{ <EventName>: { ...members } }` as the model's union of events names them.
 * Each event becomes one binary message (`:message-type` event, `:event-type`, `:content-type`)
 * framed by the SDKs' own codec (@smithy/core/event-streams: prelude, headers, CRC32s), written
 * to the response as the handler yields it. Members marked `eventheader` become message
 * headers, the `eventpayload` member the message body (a blob as raw bytes, a string as text,
 * a structure in the protocol's body format); without one, the other members are the body.
 *
 * A failure while the events are being produced (the HTTP status is already sent) ends the
 * stream with an `error` message (`:error-code`, `:error-message`), as AWS services do.
 */
import { Readable } from "node:stream";
import { EventStreamCodec, Int64, type MessageHeaders } from "@smithy/core/event-streams";
import type { ServiceModel, ShapeRef } from "./model.js";
import { shapeOf } from "./model.js";
import { toBuffer, toDate } from "./values.js";

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
  (text) => Buffer.from(text, "utf8"),
);

export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

/** How a protocol writes a structure as a message body (rest-json: JSON; rest-xml: XML). */
export interface EventBodyWriter {
  contentType: string;
  structure(model: ServiceModel, shapeName: string, value: Record<string, unknown>): string;
}

export function isEventStream(model: ServiceModel, ref: ShapeRef): boolean {
  return shapeOf(model, ref).eventstream === true;
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

function headerValue(model: ServiceModel, ref: ShapeRef, value: unknown): MessageHeaders[string] {
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case "boolean":
      return { type: "boolean", value: Boolean(value) };
    case "byte":
      return { type: "byte", value: Number(value) };
    case "short":
      return { type: "short", value: Number(value) };
    case "integer":
      return { type: "integer", value: Number(value) };
    case "long":
      return { type: "long", value: Int64.fromNumber(Number(value)) };
    case "blob":
      return { type: "binary", value: toBuffer(value) };
    case "timestamp":
      return { type: "timestamp", value: toDate(value) };
    default:
      return { type: "string", value: String(value) };
  }
}

/** One event as a framed message. */
export function encodeEvent(model: ServiceModel, streamRef: ShapeRef, event: Record<string, unknown>, writer: EventBodyWriter): Uint8Array {
  const streamShape = shapeOf(model, streamRef);
  const name = Object.keys(event).find((k) => event[k] !== undefined && event[k] !== null);
  const ref = name === undefined ? undefined : streamShape.members?.[name];
  if (name === undefined || !ref) throw new Error(`not an event of ${streamRef.shape}: ${Object.keys(event).join(", ")}`);
  const value = (event[name] ?? {}) as Record<string, unknown>;
  const shape = shapeOf(model, ref);
  const headers: MessageHeaders = {
    ":message-type": { type: "string", value: "event" },
    ":event-type": { type: "string", value: name },
  };
  let body: Uint8Array = new Uint8Array(0);
  let contentType: string | undefined;
  const rest: Record<string, unknown> = {};
  let payloadMember: string | undefined;
  for (const [member, memberRef] of Object.entries(shape.members ?? {})) {
    const v = value[member];
    if (memberRef.eventpayload) payloadMember = member;
    if (v === undefined || v === null) continue;
    if (memberRef.eventheader) headers[memberRef.locationName ?? member] = headerValue(model, memberRef, v);
    else if (!memberRef.eventpayload) rest[member] = v;
  }
  if (payloadMember !== undefined) {
    const memberRef = shape.members![payloadMember]!;
    const v = value[payloadMember];
    const payloadShape = shapeOf(model, memberRef);
    if (payloadShape.type === "blob") {
      contentType = "application/octet-stream";
      if (v !== undefined && v !== null) body = toBuffer(v);
    } else if (payloadShape.type === "string") {
      contentType = "text/plain";
      if (v !== undefined && v !== null) body = Buffer.from(String(v), "utf8");
    } else if (v !== undefined && v !== null) {
      contentType = writer.contentType;
      body = Buffer.from(writer.structure(model, memberRef.shape, v as Record<string, unknown>), "utf8");
    }
  } else if (Object.keys(shape.members ?? {}).some((m) => !shape.members![m]!.eventheader)) {
    contentType = writer.contentType;
    body = Buffer.from(writer.structure(model, ref.shape, rest), "utf8");
  }
  if (contentType) headers[":content-type"] = { type: "string", value: contentType };
  return codec.encode({ headers, body });
}

function errorMessage(e: unknown): Uint8Array {
  const err = e as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "InternalFailure";
  const message = typeof err?.message === "string" ? err.message : String(e);
  return codec.encode({
    headers: {
      ":message-type": { type: "string", value: "error" },
      ":error-code": { type: "string", value: code },
      ":error-message": { type: "string", value: message },
    },
    body: new Uint8Array(0),
  });
}

/** The response body for an event-stream payload: messages written as the handler yields events. */
export function eventStreamBody(model: ServiceModel, streamRef: ShapeRef, events: AsyncIterable<unknown>, writer: EventBodyWriter): Readable {
  async function* frames(): AsyncGenerator<Buffer> {
    try {
      for await (const event of events) {
        const frame = encodeEvent(model, streamRef, event as Record<string, unknown>, writer);
        yield Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      }
    } catch (e) {
      const frame = errorMessage(e);
      yield Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    }
  }
  // objectMode false: each frame is one write, so the client sees it as soon as it is yielded.
  return Readable.from(frames(), { objectMode: false });
}
