/** The `nimbus` command line. */
import { parseArgs } from "node:util";
import { startNimbus } from "./server.js";
import { isLogLevel } from "./core/logger.js";
import { VERSION } from "./version.js";

const HELP = `Nimbus ${VERSION} - Amazon Web Services, self-hosted, in one process.

Usage:
  nimbus start [options]     Serve the AWS APIs (default command)
  nimbus accounts create --email E [--name N] [--endpoint URL]
                             Create an account on a running Nimbus; prints its id and root keys
  nimbus accounts list [--endpoint URL]
                             List the accounts of a running Nimbus
  nimbus root-password [--data-dir D] [--account A]
                             Set the root user's console password (read from stdin or a prompt)
  nimbus --version           Print the version
  nimbus --help              Print this help

Options for start:
  --port N         Port to listen on (default 4566; env NIMBUS_PORT; 0 = any free port)
  --host H         Address to bind (default 127.0.0.1; env NIMBUS_HOST)
  --data-dir D     Where state is kept (default ./.nimbus; env NIMBUS_DATA_DIR)
  --ephemeral      Keep state in a temporary directory, removed on exit
  --log-level L    debug | info | warn | error | silent (default info; env NIMBUS_LOG_LEVEL)

Options for accounts:
  --endpoint URL   The running Nimbus (default http://127.0.0.1:$NIMBUS_PORT or :4566)

Credentials: access key "test", secret "test", account 000000000000 (the root user).
Point any AWS client at the endpoint, for example:
  aws --endpoint-url http://127.0.0.1:4566 sts get-caller-identity

The web console: http://127.0.0.1:4566/_nimbus/console/ (the root user's password is printed
once at the first start, or set with \`nimbus root-password\`; env NIMBUS_ROOT_PASSWORD sets it at start).

Nimbus's own routes (under /_nimbus/):
  GET  /_nimbus/health   {"status":"ready","version","services"}
  POST /_nimbus/reset    wipe all state (loopback only)
  GET  /_nimbus/clock    the current (injected) time
  POST /_nimbus/clock    {"advanceSeconds": N} moves time forward (loopback only)
  GET  /_nimbus/accounts list accounts (loopback only)
  POST /_nimbus/accounts {"email","name"} creates an account (loopback only)
`;

async function accountsCommand(sub: string | undefined, values: { email?: string; name?: string; endpoint?: string }): Promise<number> {
  const endpoint = values.endpoint ?? `http://127.0.0.1:${process.env.NIMBUS_PORT ?? "4566"}`;
  let res: Response;
  try {
    if (sub === "create") {
      if (!values.email) {
        process.stderr.write("nimbus accounts create needs --email\n");
        return 2;
      }
      res = await fetch(`${endpoint}/_nimbus/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: values.email, ...(values.name ? { name: values.name } : {}) }),
      });
    } else if (sub === "list") {
      res = await fetch(`${endpoint}/_nimbus/accounts`);
    } else {
      process.stderr.write(`Unknown accounts command "${sub ?? ""}".\n\n${HELP}`);
      return 2;
    }
  } catch (e) {
    process.stderr.write(`Cannot reach Nimbus at ${endpoint}: ${(e as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`${text}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  return 0;
}

/** A line from stdin; on a terminal the typed characters are not echoed. */
async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let typed = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const ch of d.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          stdin.off("data", onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          reject(new Error("cancelled"));
          return;
        }
        if (ch === "\u007f") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on("data", onData);
  });
}

async function rootPasswordCommand(values: { "data-dir"?: string; account?: string }): Promise<number> {
  const { openStorage } = await import("./storage/index.js");
  const { setRootPassword, rootPasswordProblem } = await import("./console/passwords.js");
  const { AccountStore } = await import("./core/accounts.js");
  const { IdentityStore, DEFAULT_ACCOUNT } = await import("./core/identity.js");
  const { resolve } = await import("node:path");
  const dataDir = resolve(values["data-dir"] ?? process.env.NIMBUS_DATA_DIR ?? ".nimbus");
  const account = values.account ?? DEFAULT_ACCOUNT;
  const password = await readSecret(`New console password for the root user of ${account}: `);
  const problem = rootPasswordProblem(password);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  const storage = await openStorage({ dataDir });
  try {
    const accounts = new AccountStore(storage.metadata, new IdentityStore(storage.metadata));
    if (account !== DEFAULT_ACCOUNT && !(await accounts.get(account))) {
      process.stderr.write(`No account ${account} in ${dataDir}\n`);
      return 1;
    }
    await setRootPassword(storage.metadata, account, password, new Date());
  } finally {
    await storage.close();
  }
  process.stdout.write(`The root user's console password of account ${account} is set (data: ${dataDir}).\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        ephemeral: { type: "boolean" },
        "log-level": { type: "string" },
        email: { type: "string" },
        name: { type: "string" },
        endpoint: { type: "string" },
        account: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? "start";
  if (command === "accounts") return accountsCommand(positionals[1], values);
  if (command === "root-password") return rootPasswordCommand(values);
  if (command !== "start") {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be a number from 0 to 65535\n`);
    return 2;
  }
  const logLevel = values["log-level"] ?? process.env.NIMBUS_LOG_LEVEL ?? "info";
  if (!isLogLevel(logLevel)) {
    process.stderr.write(`--log-level must be one of debug, info, warn, error, silent\n`);
    return 2;
  }
  const nimbus = await startNimbus({
    port,
    host: values.host,
    dataDir: values["data-dir"],
    ephemeral: values.ephemeral,
    logLevel,
  });
  process.stdout.write(`Nimbus listening on ${nimbus.endpoint}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    nimbus.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  return -1; // keep running
}
