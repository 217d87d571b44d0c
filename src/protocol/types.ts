/**
 * The contract between the HTTP front end and the wire codecs. A codec turns a request into
 * an operation's input and an operation's output (or error) into a response, using only the
 * service model. It never knows which service it serves.
 *
 * Value conventions for parsed input and handler output:
 * - string, enum -> string; integer/long/short/byte/float/double -> number (floats may also be
 *   the strings "NaN", "Infinity", "-Infinity" on input and output); boolean -> boolean
 * - timestamp -> Date (output also accepts a number of epoch seconds or an ISO string)
 * - blob -> Buffer (output also accepts Uint8Array or string)
 * - a streaming blob payload -> input: a Node `Readable`; output: Buffer | Uint8Array | string | Readable
 * - an event-stream payload (output, rest-json) -> an async iterable of one-key event objects
 *   `{ EventName: { ...members } }`, written as event-stream messages as they come (event-stream.ts)
 * - list -> array; map -> plain object; structure/union -> plain object keyed by member name
 * - document -> plain JSON value; a `jsonvalue` header -> the parsed JSON value
 * - an absent member is an absent key (never `undefined` or `null`)
 */
import type { Readable } from "node:stream";
import type { OperationModel, ProtocolName, ServiceModel } from "./model.js";

export interface WireRequest {
  method: string;
  /** The raw path, still percent-encoded, without the query string. */
  path: string;
  /** The raw query string without the leading `?` ("" when there is none). */
  rawQuery: string;
  /** Decoded query pairs, in order. A key without `=` has the value "". */
  query: Array<[string, string]>;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /**
   * The headers as received, alternating name and value (Node's `req.rawHeaders`). SigV4 needs it
   * to tell a repeated header (joined with "," when signing) from one whose value holds ", ".
   */
  rawHeaders?: string[];
  /** The whole body, when it was read (always, except for streaming payload operations). */
  body: Buffer;
  /** The body as a stream, for operations whose input payload is a streaming blob. */
  bodyStream?: Readable;
  /** The `Host` header's host name (without port), lower case. */
  hostname: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string | Readable;
}

export interface ResponseContext {
  requestId: string;
  /** The request's method: a response to HEAD never has a body. */
  method: string;
}

/** An error as the protocol layer renders it. Services throw `ServiceError`, which has this shape. */
export interface WireError {
  /** The AWS error code, e.g. `NoSuchBucket`, `ValidationException`. */
  code: string;
  message: string;
  status: number;
  /** Whether the caller is at fault (Sender) or the service (Receiver). */
  senderFault: boolean;
  /** Extra members of the error shape (e.g. S3's BucketName), serialized as the model says. */
  fields?: Record<string, unknown>;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** The query-protocol code for awsQueryCompatible services (x-amzn-query-error), when it differs. */
  queryErrorCode?: string;
  /** The error's shape name in the model, when it has one (used for typed fields and `__type`). */
  shapeName?: string;
}

export interface ProtocolCodec {
  readonly name: ProtocolName;
  /**
   * Name the operation a request calls, or undefined when none matches. For rest protocols this
   * matches method + path + query against every operation's `http.requestUri`; for json it reads
   * `X-Amz-Target`; for query/ec2 the `Action` parameter; for rpc-v2-cbor the URL path.
   */
  resolveOperation(model: ServiceModel, req: WireRequest): string | undefined;
  /** Parse the operation's input. Throws `WireError`-shaped `ServiceError`s for malformed input. */
  parseInput(model: ServiceModel, op: OperationModel, req: WireRequest): Record<string, unknown>;
  serializeOutput(
    model: ServiceModel,
    op: OperationModel,
    output: Record<string, unknown>,
    ctx: ResponseContext,
  ): WireResponse;
  serializeError(
    model: ServiceModel,
    op: OperationModel | undefined,
    error: WireError,
    ctx: ResponseContext,
  ): WireResponse;
}
