/** Lambda's functions list: name, runtime, memory, timeout, last modified, package size; delete. */
import { useState } from "react";
import { DeleteFunctionCommand, paginateListFunctions, type FunctionConfiguration } from "@aws-sdk/client-lambda";
import { Link, navigate } from "../../router.tsx";
import { ConfirmDialog, formatBytes, formatDate, notify, PageHeader, ResourceTable, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { functionPath, lambda } from "./shared.ts";

async function listFunctions(): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: lambda() }, {})) out.push(...(page.Functions ?? []));
  return out;
}

export function FunctionsList() {
  // The list is the service root: no link crumbs (the shared breadcrumb link colour is under 4.5:1 on the page background).
  useBreadcrumbs([{ label: "Lambda" }, { label: "Functions" }]);
  const fns = useAsync(listFunctions);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<FunctionConfiguration>[] = [
    { id: "FunctionName", header: "Function name", cell: (f) => <Link to={functionPath(f.FunctionName!)}>{f.FunctionName}</Link>, sortValue: (f) => f.FunctionName },
    { id: "Runtime", header: "Runtime" },
    { id: "MemorySize", header: "Memory (MB)", sortValue: (f) => f.MemorySize },
    { id: "Timeout", header: "Timeout", cell: (f) => `${f.Timeout ?? 3} s`, sortValue: (f) => f.Timeout },
    { id: "LastModified", header: "Last modified", cell: (f) => formatDate(f.LastModified), sortValue: (f) => (f.LastModified ? Date.parse(f.LastModified) : 0) },
    { id: "CodeSize", header: "Package size", cell: (f) => formatBytes(f.CodeSize), sortValue: (f) => f.CodeSize },
  ];
  const create = (
    <Link className="btn btn-primary" to="lambda/create">
      Create function
    </Link>
  );
  return (
    <>
      <PageHeader
        title="Functions"
        count={fns.data?.length}
        description="Run code without provisioning servers: Nimbus runs Node.js, Python and custom runtimes on this machine."
        actions={
          <>
            <button type="button" className="btn" onClick={fns.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={selected.length !== 1} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {create}
          </>
        }
      />
      <section className="panel">
        <div className="panel-body">
          <ResourceTable
            resourceName="functions"
            items={fns.data}
            loading={fns.loading}
            error={fns.error}
            onRetry={fns.reload}
            columns={columns}
            rowKey={(f) => f.FunctionName!}
            selection="single"
            selected={selected}
            onSelectionChange={setSelected}
            defaultSort={{ column: "FunctionName" }}
            empty={
              <>
                <p>No functions in this region yet.</p>
                {create}
              </>
            }
          />
        </div>
      </section>
      {deleting && selected[0] && (
        <DeleteFunctionDialog
          name={selected[0]}
          onClose={() => setDeleting(false)}
          onDeleted={() => {
            setSelected([]);
            fns.reload();
          }}
        />
      )}
    </>
  );
}

export function DeleteFunctionDialog({ name, onClose, onDeleted }: { name: string; onClose: () => void; onDeleted: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete function ${name}?`}
      confirmText="delete"
      onClose={onClose}
      onConfirm={async () => {
        await lambda().send(new DeleteFunctionCommand({ FunctionName: name }));
        notify(`Function ${name} deleted`);
        onDeleted();
      }}
    >
      <p>The function, its versions, aliases and triggers are deleted. Its log group is kept.</p>
    </ConfirmDialog>
  );
}

export function goToFunction(name: string, tab?: string): void {
  navigate(functionPath(name) + (tab ? `?tab=${tab}` : ""));
}
