/** Shared test plumbing: an in-process Nimbus per test file, and the official CLIs run against it. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startNimbus, type Nimbus, type NimbusOptions } from "../src/index.js";

const execFileAsync = promisify(execFile);

export async function startTestNimbus(options: NimbusOptions = {}): Promise<Nimbus> {
  return startNimbus({ port: 0, ephemeral: true, logLevel: "warn", ...options });
}

/** Client config for the AWS SDK for JavaScript v3. */
export function sdkConfig(n: Nimbus, overrides: { secretAccessKey?: string; accessKeyId?: string } = {}) {
  return {
    endpoint: n.endpoint,
    region: n.region,
    credentials: { ...n.credentials, ...overrides },
    maxAttempts: 1,
  };
}

/** The AWS CLI v2 from Debian's `awscli` package. */
export const AWS_CLI = process.env.NIMBUS_TEST_AWS_CLI ?? "/usr/bin/aws";
/** The system Python, which has Debian's `python3-boto3`. */
export const PYTHON = process.env.NIMBUS_TEST_PYTHON ?? "/usr/bin/python3";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCredentials {
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
}

function cliEnv(n: Nimbus, creds: CliCredentials = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: creds.accessKeyId ?? n.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secret ?? n.credentials.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_DEFAULT_REGION: n.region,
    AWS_ENDPOINT_URL: n.endpoint,
    AWS_PAGER: "",
    AWS_MAX_ATTEMPTS: "1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}

async function run(file: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  try {
    const child = execFileAsync(file, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** Run `aws <args> --endpoint-url <nimbus> --output json`. */
export function awsCli(n: Nimbus, args: string[], opts: CliCredentials = {}): Promise<CliResult> {
  return run(AWS_CLI, [...args, "--endpoint-url", n.endpoint, "--output", "json"], cliEnv(n, opts));
}

/** Run a Python snippet with boto3; `endpoint`, `region`, `key`, `secret` are predefined. */
export function boto3(n: Nimbus, code: string, opts: CliCredentials = {}): Promise<CliResult> {
  const env = cliEnv(n, opts);
  const prelude = [
    "import json, boto3, botocore",
    "from botocore.config import Config",
    `endpoint = ${JSON.stringify(n.endpoint)}`,
    `region = ${JSON.stringify(n.region)}`,
    "cfg = Config(retries={'max_attempts': 1})",
    "def client(name, **kw):",
    "    kw.setdefault('region_name', region)",
    "    return boto3.client(name, endpoint_url=endpoint, config=cfg, **kw)",
    "",
  ].join("\n");
  return run(PYTHON, ["-c", prelude + code], env);
}

/** Start the `nimbus` binary (bin/nimbus.js, built by `npm run build`) on a free port over a data dir; resolves once it listens. */
export function startBinary(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/nimbus.js", import.meta.url)), "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, endpoint: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}
