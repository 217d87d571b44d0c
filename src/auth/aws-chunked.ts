/**
 * Streaming decoder for `aws-chunked` request bodies (S3 uploads): strips the chunk framing,
 * verifies the chained chunk signatures and the trailer signature, and collects trailing
 * headers (x-amz-checksum-*). AWS quirk reproduced: every chunk but the last must carry at least
 * 8 KiB of data (InvalidChunkSizeError).
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { WireRequest } from "../protocol/types.js";
import {
  EMPTY_SHA256,
  STREAMING_PAYLOAD,
  STREAMING_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  credentialScope,
  formatAmzDate,
  getSigningKey,
  sha256Hex,
  signatureMatches,
  type ParsedSignature,
} from "./sigv4.js";

export type StreamingMode =
  | typeof STREAMING_PAYLOAD
  | typeof STREAMING_PAYLOAD_TRAILER
  | typeof STREAMING_UNSIGNED_PAYLOAD_TRAILER;

/** What signed chunks chain from: the request's signing key, time, scope and signature. */
export interface ChunkSigning {
  signingKey: Buffer;
  /** X-Amz-Date of the request, ISO 8601 basic format. */
  timestamp: string;
  scope: string;
  /** The request's own signature, which the first chunk's signature chains from. */
  seedSignature: string;
}

export interface AwsChunkedOptions {
  mode: StreamingMode;
  /** x-amz-decoded-content-length: the bytes of data once the framing is removed. */
  decodedContentLength: number;
  /** Required for the signed modes. */
  signing?: ChunkSigning;
  /** Smallest size allowed for a chunk that is not the last one holding data; 0 disables. Default 8192. */
  minChunkSize?: number;
}

export const DEFAULT_MIN_CHUNK_SIZE = 8192;
const MAX_LINE = 4096;
const MAX_TRAILERS = 64;

enum State {
  ChunkHeader,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
  Failed,
}

function incomplete(message?: string): ServiceError {
  return new ServiceError(CommonErrors.IncompleteBody, message);
}

function signatureMismatch(): ServiceError {
  return new ServiceError(
    CommonErrors.SignatureDoesNotMatch,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  );
}

/**
 * Decodes an aws-chunked body as it streams (never holding more than one framing line), so
 * decoded data is passed on before its chunk's signature is checked: a consumer must discard
 * what it received when the stream errors. Trailing headers come out as the `trailers` promise
 * (and a "trailers" event) once the body has been read and verified in full.
 */
export class AwsChunkedDecoder extends Transform {
  /** Resolves with the trailing headers (lower-case names) when the whole body is valid. */
  readonly trailers: Promise<Record<string, string>>;

  readonly mode: StreamingMode;
  private readonly signing: ChunkSigning | undefined;
  private readonly signed: boolean;
  private readonly expectTrailers: boolean;
  private readonly decodedContentLength: number;
  private readonly minChunkSize: number;

  private state = State.ChunkHeader;
  private line = "";
  private remaining = 0;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = "";
  private previousSignature = "";
  private chunkCount = 0;
  private lastDataChunkSize = -1;
  private readonly trailerValues: Record<string, string> = {};
  private trailerCount = 0;
  private canonicalTrailers = "";
  private trailerSignature: string | undefined;
  private resolveTrailers!: (t: Record<string, string>) => void;
  private rejectTrailers!: (e: Error) => void;

  constructor(opts: AwsChunkedOptions) {
    super();
    this.mode = opts.mode;
    this.signed = opts.mode !== STREAMING_UNSIGNED_PAYLOAD_TRAILER;
    this.expectTrailers = opts.mode !== STREAMING_PAYLOAD;
    if (this.signed && opts.signing === undefined) throw new TypeError(`${opts.mode} needs the request's signing context`);
    this.signing = opts.signing;
    this.previousSignature = opts.signing?.seedSignature ?? "";
    this.decodedContentLength = opts.decodedContentLength;
    this.minChunkSize = opts.minChunkSize ?? DEFAULT_MIN_CHUNK_SIZE;
    this.trailers = new Promise((resolve, reject) => {
      this.resolveTrailers = resolve;
      this.rejectTrailers = reject;
    });
    // A failure is reported through the stream; nobody has to await the promise as well.
    this.trailers.catch(() => {});
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (e) {
      this.failWith(e as Error, callback);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // The final empty line may be missing; a half-read line may not.
      if (this.state === State.Trailer && this.line === "") this.finishTrailers();
      if (this.state !== State.Done) throw incomplete();
      if (this.decoded !== this.decodedContentLength) throw incomplete();
      this.emit("trailers", this.trailerValues);
      this.resolveTrailers(this.trailerValues);
      callback();
    } catch (e) {
      this.failWith(e as Error, callback);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before the end (the client went away): nobody is left waiting on the trailers.
    if (this.state !== State.Done) this.rejectTrailers(error ?? new Error("aws-chunked body aborted"));
    callback(error);
  }

  private failWith(e: Error, callback: TransformCallback): void {
    this.state = State.Failed;
    this.rejectTrailers(e);
    callback(e);
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case State.ChunkHeader:
        case State.Trailer: {
          const lf = buf.indexOf(0x0a, i);
          const end = lf < 0 ? buf.length : lf;
          if (this.line.length + (end - i) > MAX_LINE) throw incomplete();
          this.line += buf.toString("latin1", i, end);
          i = end;
          if (lf < 0) break;
          i++; // past the LF
          if (!this.line.endsWith("\r")) throw incomplete();
          const line = this.line.slice(0, -1);
          this.line = "";
          if (this.state === State.ChunkHeader) this.chunkHeader(line);
          else this.trailerLine(line);
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, buf.length - i);
          const data = buf.subarray(i, i + n);
          this.chunkHash?.update(data);
          this.push(data);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i++] !== 0x0d) throw incomplete();
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i++] !== 0x0a) throw incomplete();
          if (this.signed) this.checkChunkSignature(this.chunkHash!.digest("hex"));
          this.state = State.ChunkHeader;
          break;
        case State.Done:
          // Tolerate stray line ends after the body; anything else is not aws-chunked.
          if (buf[i] !== 0x0d && buf[i] !== 0x0a) throw incomplete();
          i++;
          break;
        case State.Failed:
          return;
      }
    }
  }

  private chunkHeader(line: string): void {
    const semicolon = line.indexOf(";");
    const sizeText = semicolon < 0 ? line : line.slice(0, semicolon);
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw incomplete();
    const size = parseInt(sizeText, 16);
    if (this.signed) {
      const extension = semicolon < 0 ? "" : line.slice(semicolon + 1);
      if (!extension.startsWith("chunk-signature=")) throw incomplete();
      this.chunkSignature = extension.slice("chunk-signature=".length);
    }
    this.chunkCount++;
    if (size > 0) {
      // Only the last chunk with data may be small: a small one followed by more data is refused.
      if (this.lastDataChunkSize >= 0 && this.lastDataChunkSize < this.minChunkSize) {
        throw new ServiceError(CommonErrors.InvalidChunkSizeError, undefined, {
          Chunk: this.chunkCount - 1,
          BadChunkSize: this.lastDataChunkSize,
        });
      }
      this.lastDataChunkSize = size;
      if (this.decoded + size > this.decodedContentLength) throw incomplete();
      this.decoded += size;
      this.remaining = size;
      if (this.signed) this.chunkHash = createHash("sha256");
      this.state = State.Data;
      return;
    }
    // The zero-length chunk ends the data; its signature covers empty data.
    if (this.signed) this.checkChunkSignature(EMPTY_SHA256);
    this.state = State.Trailer;
  }

  private checkChunkSignature(dataHash: string): void {
    const s = this.signing!;
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${s.timestamp}\n${s.scope}\n${this.previousSignature}\n${EMPTY_SHA256}\n${dataHash}`;
    if (!signatureMatches(this.chunkSignature, s.signingKey, toSign)) throw signatureMismatch();
    this.previousSignature = this.chunkSignature;
  }

  private trailerLine(line: string): void {
    if (line === "") {
      this.finishTrailers();
      return;
    }
    // Without trailers the zero-length chunk is followed by nothing but the empty line.
    if (!this.expectTrailers) throw incomplete();
    const colon = line.indexOf(":");
    if (colon <= 0) throw incomplete();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature" && this.signed) {
      this.trailerSignature = value;
      return;
    }
    if (++this.trailerCount > MAX_TRAILERS) throw incomplete();
    this.trailerValues[name] = value;
    this.canonicalTrailers += `${name}:${value}\n`;
  }

  private finishTrailers(): void {
    if (this.signed && this.expectTrailers) {
      if (this.trailerSignature === undefined) throw signatureMismatch();
      const s = this.signing!;
      const toSign = `AWS4-HMAC-SHA256-TRAILER\n${s.timestamp}\n${s.scope}\n${this.previousSignature}\n${sha256Hex(this.canonicalTrailers)}`;
      if (!signatureMatches(this.trailerSignature, s.signingKey, toSign)) throw signatureMismatch();
    }
    this.state = State.Done;
  }
}

/** Whether a request's body is aws-chunked: a STREAMING-* payload hash or Content-Encoding aws-chunked. */
export function isAwsChunked(req: Pick<WireRequest, "headers">): boolean {
  const hash = req.headers["x-amz-content-sha256"];
  if (hash !== undefined && hash.startsWith("STREAMING-")) return true;
  const encoding = req.headers["content-encoding"];
  return encoding !== undefined && /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding);
}

/**
 * A decoder for a request's aws-chunked body, configured from its headers. The signed modes
 * need the verified signature and the secret it was made with. Throws MissingContentLength
 * without a valid x-amz-decoded-content-length, NotImplemented for SigV4a streaming.
 */
export function createAwsChunkedDecoder(
  req: Pick<WireRequest, "headers">,
  auth?: { parsed: ParsedSignature; secretAccessKey: string },
  opts: { minChunkSize?: number } = {},
): AwsChunkedDecoder {
  const hash = req.headers["x-amz-content-sha256"];
  let mode: StreamingMode;
  if (hash === STREAMING_PAYLOAD || hash === STREAMING_PAYLOAD_TRAILER || hash === STREAMING_UNSIGNED_PAYLOAD_TRAILER) {
    mode = hash;
  } else if (hash !== undefined && hash.startsWith("STREAMING-AWS4-ECDSA-")) {
    throw new ServiceError(CommonErrors.NotImplemented, `x-amz-content-sha256 ${hash} (SigV4a) is not supported.`);
  } else {
    // Content-Encoding: aws-chunked with an unsigned or whole-body hash: chunks carry no signatures.
    mode = STREAMING_UNSIGNED_PAYLOAD_TRAILER;
  }

  const length = req.headers["x-amz-decoded-content-length"];
  if (length === undefined || !/^\d{1,15}$/.test(length.trim())) throw new ServiceError(CommonErrors.MissingContentLength);

  let signing: ChunkSigning | undefined;
  if (mode !== STREAMING_UNSIGNED_PAYLOAD_TRAILER) {
    if (auth === undefined) {
      throw new ServiceError(CommonErrors.AccessDenied, `${mode} requires a request signed with AWS4-HMAC-SHA256.`);
    }
    const p = auth.parsed;
    signing = {
      signingKey: getSigningKey(auth.secretAccessKey, p.date, p.region, p.service),
      timestamp: formatAmzDate(p.amzDate),
      scope: credentialScope(p.date, p.region, p.service),
      seedSignature: p.signature,
    };
  }
  return new AwsChunkedDecoder({
    mode,
    decodedContentLength: Number(length.trim()),
    ...(signing ? { signing } : {}),
    ...(opts.minChunkSize !== undefined ? { minChunkSize: opts.minChunkSize } : {}),
  });
}
