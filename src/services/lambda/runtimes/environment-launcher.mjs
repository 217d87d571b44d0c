// Nimbus's environment launcher: a small long-lived process that starts Lambda execution
// environments on request, so that the server's event loop only sends a message. Starting a
// process (fork + exec) blocks the caller for a time that grows with the caller's memory, 10-50 ms
// for a Nimbus server; here it blocks this process, which is small and does nothing else.
//
// Protocol (IPC, JSON): {op: "spawn", id, command, args, cwd, env} answers {op: "spawned", id, pid}
// with the child's stdout pipe as the handle, then {op: "stderr", id} with its stderr pipe, and
// {op: "exit", id, code, signal} when it ends; or {op: "error", id, message} if it cannot start.
// {op: "kill", id} kills it. When Nimbus goes (the IPC channel closes), every child is killed.
import { spawn } from "node:child_process";

const children = new Map();

/** Send to Nimbus while it is there (a failed send has a callback, so it is not an error event). */
function send(message, handle) {
  if (process.connected) process.send(message, handle, {}, () => undefined);
}

function launch(m) {
  let child;
  try {
    child = spawn(m.command, m.args, { cwd: m.cwd, env: m.env, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    send({ op: "error", id: m.id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (child.pid === undefined) {
    // ENOENT, EACCES: reported by an "error" event, with no process.
    child.on("error", (e) => send({ op: "error", id: m.id, message: e.message }));
    return;
  }
  children.set(m.id, child);
  // The pipes go to Nimbus itself (the output is read there, in order with the Runtime API calls).
  send({ op: "spawned", id: m.id, pid: child.pid }, child.stdout);
  send({ op: "stderr", id: m.id }, child.stderr);
  child.on("exit", (code, signal) => {
    children.delete(m.id);
    send({ op: "exit", id: m.id, code, signal });
  });
}

process.on("message", (m) => {
  if (m.op === "spawn") launch(m);
  else if (m.op === "kill") children.get(m.id)?.kill("SIGKILL");
});

process.on("disconnect", () => {
  for (const child of children.values()) child.kill("SIGKILL");
  process.exit(0);
});
