/** Runtimes Nimbus runs, their default hello-world handlers, and small helpers of the Lambda pages. */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { client } from "../../aws.ts";

export const lambda = () => client(LambdaClient);

export const RUNTIMES = ["nodejs22.x", "nodejs20.x", "nodejs18.x", "python3.13", "python3.12", "python3.11", "python3.10", "provided.al2023", "provided.al2"];

export interface Starter {
  file: string;
  handler: string;
  code: string;
  mode?: number;
}

/** The single source file a new function of `runtime` starts with. */
export function starter(runtime: string): Starter {
  if (runtime.startsWith("python")) {
    return {
      file: "lambda_function.py",
      handler: "lambda_function.lambda_handler",
      code: `import json


def lambda_handler(event, context):
    print("event:", json.dumps(event))
    return {"statusCode": 200, "body": json.dumps("Hello from Lambda!")}
`,
    };
  }
  if (runtime.startsWith("provided")) {
    return {
      file: "bootstrap",
      handler: "function.handler",
      mode: 0o755,
      code: `#!/bin/sh
# A custom runtime: fetch the next event from the Runtime API, answer it, repeat.
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -LD "$HEADERS" "$API/next")"
  ID="$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  echo "event: $EVENT" >&2
  curl -sS -X POST "$API/$ID/response" -d '{"statusCode":200,"body":"\\"Hello from Lambda!\\""}' > /dev/null
done
`,
    };
  }
  return {
    file: "index.mjs",
    handler: "index.handler",
    code: `export const handler = async (event) => {
  console.log("event:", JSON.stringify(event));
  return {
    statusCode: 200,
    body: JSON.stringify("Hello from Lambda!"),
  };
};
`,
  };
}

export const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;

export function functionPath(name: string): string {
  return `lambda/functions/${encodeURIComponent(name)}`;
}

/** Decode a path segment that may hold escaped characters (never throws). */
export function segment(s: string | undefined): string {
  if (s === undefined) return "";
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function readFileBytes(file: File): Promise<Uint8Array> {
  return file.arrayBuffer().then((b) => new Uint8Array(b));
}
