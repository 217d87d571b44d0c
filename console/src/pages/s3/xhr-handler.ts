/**
 * An HTTP handler for the SDK that sends requests with XMLHttpRequest, so uploads report their
 * progress. `Upload` from @aws-sdk/lib-storage listens for "xhr.upload.progress" on a request
 * handler that is an EventEmitter and turns those events into `httpUploadProgress`.
 */
import { Upload } from "@aws-sdk/lib-storage";
import type { HttpRequest, HttpResponse } from "@smithy/types";

// Upload checks `requestHandler instanceof EventEmitter` against the `events` package it bundles
// (its own copy, not the top-level one), so extend exactly that class: Upload's own base.
const EventEmitter = Object.getPrototypeOf(Upload) as new () => { emit(event: string, ...args: unknown[]): boolean };

// Headers a browser sets itself and refuses from scripts.
const FORBIDDEN = new Set(["host", "content-length", "connection", "expect", "keep-alive", "transfer-encoding", "user-agent", "accept-encoding"]);

function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function urlOf(request: HttpRequest): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(request.query ?? {})) {
    if (v === null || v === undefined) parts.push(escape(k));
    else if (Array.isArray(v)) for (const x of v) parts.push(`${escape(k)}=${escape(x)}`);
    else parts.push(`${escape(k)}=${escape(v)}`);
  }
  const port = request.port ? `:${request.port}` : "";
  return `${request.protocol}//${request.hostname}${port}${request.path}${parts.length ? `?${parts.join("&")}` : ""}`;
}

export class XhrHttpHandler extends EventEmitter {
  readonly metadata = { handlerProtocol: "http/1.1" };

  handle(request: HttpRequest, opts: { abortSignal?: AbortSignal } = {}): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      if (opts.abortSignal?.aborted) {
        reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
        return;
      }
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, urlOf(request));
      xhr.responseType = "blob";
      for (const [k, v] of Object.entries(request.headers)) if (!FORBIDDEN.has(k.toLowerCase())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => this.emit("xhr.upload.progress", e, request);
      xhr.onprogress = (e) => this.emit("xhr.download.progress", e, request);
      xhr.onload = () => {
        const headers: Record<string, string> = {};
        for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          const i = line.indexOf(":");
          if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        resolve({ response: { statusCode: xhr.status, reason: xhr.statusText, headers, body: xhr.response as Blob } as HttpResponse });
      };
      xhr.onerror = () => reject(Object.assign(new Error("Network error: the request could not be sent"), { name: "NetworkError" }));
      xhr.onabort = () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
      opts.abortSignal?.addEventListener("abort", () => xhr.abort(), { once: true });
      const body = request.body as XMLHttpRequestBodyInit | null | undefined;
      xhr.send(request.method === "GET" || request.method === "HEAD" ? null : (body ?? null));
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}
