/** Create a function: name, runtime, execution role (existing or a new basic one), code inline or from a .zip. */
import { useState, type FormEvent } from "react";
import { CreateFunctionCommand, type Runtime } from "@aws-sdk/client-lambda";
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient, paginateListRoles, type Role } from "@aws-sdk/client-iam";
import { client } from "../../aws.ts";
import { Link } from "../../router.tsx";
import { ErrorAlert, Field, notify, PageHeader, Panel, SelectField, TextField, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { goToFunction } from "./functions.tsx";
import { FUNCTION_NAME, lambda, readFileBytes, RUNTIMES, starter } from "./shared.ts";
import { zipStore } from "./zip.ts";

const LAMBDA_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

async function listRoles(): Promise<Role[]> {
  const out: Role[] = [];
  for await (const page of paginateListRoles({ client: client(IAMClient) }, {})) out.push(...(page.Roles ?? []));
  return out;
}

/** Whether a role's trust policy lets Lambda assume it. */
function trustsLambda(r: Role): boolean {
  try {
    return decodeURIComponent(r.AssumeRolePolicyDocument ?? "").includes("lambda.amazonaws.com");
  } catch {
    return false;
  }
}

/** A role Lambda may assume, with AWSLambdaBasicExecutionRole attached. */
export async function createBasicRole(functionName: string): Promise<string> {
  const iam = client(IAMClient);
  const suffix = Math.random().toString(36).slice(2, 8);
  const RoleName = `${functionName}-role-${suffix}`.slice(0, 64);
  const out = await iam.send(new CreateRoleCommand({ RoleName, Path: "/service-role/", AssumeRolePolicyDocument: LAMBDA_TRUST, Description: `Execution role of the Lambda function ${functionName}` }));
  await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: BASIC_POLICY }));
  return out.Role!.Arn!;
}

export function CreateFunctionPage() {
  useBreadcrumbs([{ label: "Lambda", to: "lambda" }, { label: "Functions", to: "lambda" }, { label: "Create function" }]);
  const [name, setName] = useState("");
  const [runtime, setRuntime] = useState("nodejs22.x");
  const [roleMode, setRoleMode] = useState<"new" | "existing">("new");
  const [roleArn, setRoleArn] = useState("");
  const [codeMode, setCodeMode] = useState<"inline" | "zip">("inline");
  const [code, setCode] = useState(starter("nodejs22.x").code);
  const [handler, setHandler] = useState(starter("nodejs22.x").handler);
  const [codeTouched, setCodeTouched] = useState(false);
  const [zip, setZip] = useState<File | undefined>();
  const [memory, setMemory] = useState("128");
  const [timeout, setTimeoutValue] = useState("3");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const roles = useAsync(listRoles);
  const lambdaRoles = (roles.data ?? []).filter(trustsLambda);
  const st = starter(runtime);

  const changeRuntime = (r: string) => {
    setRuntime(r);
    if (!codeTouched) setCode(starter(r).code);
    setHandler(starter(r).handler);
  };

  const errors = {
    name: !name ? "Enter a function name." : !FUNCTION_NAME.test(name) ? "Use 1-64 letters, digits, hyphens or underscores." : undefined,
    role: roleMode === "existing" && !roleArn ? "Choose a role." : undefined,
    zip: codeMode === "zip" && !zip ? "Choose a .zip file." : undefined,
    handler: !handler.trim() ? "Enter the handler." : undefined,
    memory: !/^\d+$/.test(memory) || +memory < 128 || +memory > 10240 ? "Between 128 and 10240 MB." : undefined,
    timeout: !/^\d+$/.test(timeout) || +timeout < 1 || +timeout > 900 ? "Between 1 and 900 seconds." : undefined,
  };
  const show = (e: string | undefined) => (submitted ? e : undefined);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setSubmitted(true);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    setError(undefined);
    try {
      const ZipFile = codeMode === "zip" ? await readFileBytes(zip!) : zipStore([{ name: st.file, data: new TextEncoder().encode(code), mode: st.mode }]);
      const Role = roleMode === "new" ? await createBasicRole(name) : roleArn;
      await lambda().send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as Runtime, Role, Handler: handler.trim(), Code: { ZipFile }, MemorySize: +memory, Timeout: +timeout, PackageType: "Zip" }),
      );
      notify(`Function ${name} created`);
      goToFunction(name);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <PageHeader title="Create function" description="A function from a single source file edited here, or from a .zip package." />
      <Panel title="Basic information">
        <TextField label="Function name" value={name} onChange={setName} error={show(errors.name)} hint="Letters, digits, hyphens and underscores; up to 64." autoComplete="off" />
        <SelectField label="Runtime" value={runtime} onChange={changeRuntime} options={RUNTIMES} />
        <fieldset>
          <legend>Execution role</legend>
          <div className="checkbox">
            <input type="radio" id="role-new" name="role-mode" checked={roleMode === "new"} onChange={() => setRoleMode("new")} />
            <label htmlFor="role-new">Create a new role with basic Lambda permissions</label>
          </div>
          <div className="checkbox">
            <input type="radio" id="role-existing" name="role-mode" checked={roleMode === "existing"} onChange={() => setRoleMode("existing")} />
            <label htmlFor="role-existing">Use an existing role</label>
          </div>
          {roleMode === "new" ? (
            <p className="muted">
              A role named <code>{(name || "function") + "-role-…"}</code> that Lambda may assume, with AWSLambdaBasicExecutionRole (write logs to CloudWatch Logs).
            </p>
          ) : roles.error ? (
            <ErrorAlert error={roles.error} onRetry={roles.reload} />
          ) : (
            <Field label="Existing role" error={show(errors.role)} hint={roles.loading ? "Loading roles…" : `${lambdaRoles.length} roles trust lambda.amazonaws.com`}>
              {(id, d) => (
                <select id={id} aria-describedby={d} value={roleArn} onChange={(e) => setRoleArn(e.target.value)}>
                  <option value="">Choose a role</option>
                  {lambdaRoles.map((r) => (
                    <option key={r.Arn} value={r.Arn}>
                      {r.RoleName}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
        </fieldset>
      </Panel>
      <Panel title="Code">
        <fieldset>
          <legend>Code source</legend>
          <div className="checkbox">
            <input type="radio" id="code-inline" name="code-mode" checked={codeMode === "inline"} onChange={() => setCodeMode("inline")} />
            <label htmlFor="code-inline">Edit code inline</label>
          </div>
          <div className="checkbox">
            <input type="radio" id="code-zip" name="code-mode" checked={codeMode === "zip"} onChange={() => setCodeMode("zip")} />
            <label htmlFor="code-zip">Upload a .zip file</label>
          </div>
        </fieldset>
        {codeMode === "inline" ? (
          <Field label={`Code (${st.file})`} hint="Zipped in the browser as a one-file package.">
            {(id, d) => (
              <textarea
                id={id}
                aria-describedby={d}
                className="code"
                rows={14}
                spellCheck={false}
                value={code}
                onChange={(e) => {
                  setCode(e.target.value);
                  setCodeTouched(true);
                }}
              />
            )}
          </Field>
        ) : (
          <Field label=".zip file" error={show(errors.zip)} hint={zip ? `${zip.name}, ${zip.size} bytes` : "Up to 50 MB."}>
            {(id, d) => <input id={id} aria-describedby={d} type="file" accept=".zip,application/zip" onChange={(e) => setZip(e.target.files?.[0])} />}
          </Field>
        )}
        <TextField label="Handler" value={handler} onChange={setHandler} error={show(errors.handler)} hint={codeMode === "inline" ? `Default for ${runtime}: ${st.handler}` : "file.function, as in the package"} />
      </Panel>
      <Panel title="Settings">
        <TextField label="Memory (MB)" inputMode="numeric" value={memory} onChange={setMemory} error={show(errors.memory)} />
        <TextField label="Timeout (seconds)" inputMode="numeric" value={timeout} onChange={setTimeoutValue} error={show(errors.timeout)} />
      </Panel>
      <ErrorAlert error={error} />
      <div className="actions" style={{ justifyContent: "flex-end" }}>
        <Link className="btn" to="lambda">
          Cancel
        </Link>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Creating…" : "Create function"}
        </button>
      </div>
    </form>
  );
}
