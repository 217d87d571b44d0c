/** Assigning a virtual MFA device (to an IAM user, or to the root user through the console endpoint). */
import { useState, type FormEvent } from "react";
import {
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  ListMFADevicesCommand,
  ListVirtualMFADevicesCommand,
  type MFADevice,
} from "@aws-sdk/client-iam";
import { post } from "../../session.ts";
import { ConfirmDialog, ErrorAlert, Modal, Panel, ResourceTable, TextField, formatDate, notify, useAsync } from "../../ui/index.ts";
import { bytesToBase64, bytesToText, iam } from "./common.tsx";

export const ROOT_DEVICE_NAME = "root-account-mfa-device";

interface Created {
  serial: string;
  qr: string;
  seed: string;
}

/** Create a virtual device, replacing an unassigned leftover of the same name (an abandoned setup). */
async function createDevice(name: string): Promise<Created> {
  const make = async () => {
    const r = await iam().send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
    const d = r.VirtualMFADevice!;
    return { serial: d.SerialNumber!, qr: d.QRCodePNG ? `data:image/png;base64,${bytesToBase64(d.QRCodePNG)}` : "", seed: bytesToText(d.Base32StringSeed) };
  };
  try {
    return await make();
  } catch (e) {
    if ((e as { name?: string }).name !== "EntityAlreadyExists" && (e as { name?: string }).name !== "EntityAlreadyExistsException") throw e;
    const list = await iam().send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }));
    const old = list.VirtualMFADevices?.find((d) => d.SerialNumber?.endsWith(`:mfa/${name}`));
    if (!old) throw e;
    await iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: old.SerialNumber }));
    return make();
  }
}

/** The MFA setup dialog: device name, then the QR code (or the secret key) and two consecutive codes. */
export function AssignMfaModal({ userName, root, onClose, onDone }: { userName?: string; root?: boolean; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(root ? ROOT_DEVICE_NAME : (userName ?? ""));
  const [device, setDevice] = useState<Created>();
  const [showSecret, setShowSecret] = useState(false);
  const [code1, setCode1] = useState("");
  const [code2, setCode2] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState<string>();

  const cancel = () => {
    // An abandoned setup leaves no unassigned device behind.
    if (device) void iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: device.serial })).catch(() => undefined);
    onClose();
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^[\w+=,.@-]{1,226}$/.test(name)) {
      setInvalid("Use 1 to 226 letters, digits and +=,.@_- only.");
      return;
    }
    setInvalid(undefined);
    setBusy(true);
    setError(undefined);
    try {
      setDevice(await createDevice(name));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const enable = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code1.trim()) || !/^\d{6}$/.test(code2.trim())) {
      setInvalid("Enter two 6-digit codes.");
      return;
    }
    setInvalid(undefined);
    setBusy(true);
    setError(undefined);
    try {
      if (root) await post("root-mfa/enable", { serialNumber: device!.serial, code1: code1.trim(), code2: code2.trim() });
      else await iam().send(new EnableMFADeviceCommand({ UserName: userName, SerialNumber: device!.serial, AuthenticationCode1: code1.trim(), AuthenticationCode2: code2.trim() }));
      notify(root ? "MFA device assigned to the root user" : `MFA device assigned to ${userName}`);
      onDone();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal title="Assign MFA device" onClose={cancel} wide>
      {!device ? (
        <form onSubmit={create} aria-label="Name the virtual MFA device">
          <p>A virtual MFA device is an authenticator app on a phone or computer that shows a new six-digit code every 30 seconds.</p>
          <TextField label="Device name" value={name} onChange={setName} error={invalid} required hint="Up to 226 letters, digits and +=,.@_-" />
          <ErrorAlert error={error} />
          <div className="modal-footer">
            <button type="button" className="btn" onClick={cancel}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Creating…" : "Continue"}
            </button>
          </div>
        </form>
      ) : (
        <form onSubmit={enable} aria-label="Set up the MFA device">
          <ol style={{ paddingLeft: "1.25rem" }}>
            <li>Install an authenticator app on your phone or computer.</li>
            <li>
              Scan the QR code with the app, or enter the secret key.
              <div style={{ display: "flex", flexWrap: "wrap", gap: "1rem", alignItems: "center", margin: "0.75rem 0" }}>
                {device.qr && <img src={device.qr} alt={`QR code for the MFA device ${name}`} width={180} height={180} style={{ imageRendering: "pixelated", border: "1px solid #d5dbdb" }} />}
                <div>
                  {showSecret ? (
                    <TextField label="Secret key" readOnly value={device.seed} onChange={() => undefined} style={{ fontFamily: "monospace", minWidth: "18rem" }} hint="Type it into the app if it cannot scan the code." />
                  ) : (
                    <button type="button" className="btn" onClick={() => setShowSecret(true)}>
                      Show secret key
                    </button>
                  )}
                </div>
              </div>
            </li>
            <li>Type two consecutive codes the app shows.</li>
          </ol>
          <div style={{ display: "flex", flexWrap: "wrap", gap: "0 1rem" }}>
            <TextField label="MFA code 1" inputMode="numeric" autoComplete="one-time-code" maxLength={6} required value={code1} onChange={setCode1} />
            <TextField label="MFA code 2" inputMode="numeric" autoComplete="one-time-code" maxLength={6} required value={code2} onChange={setCode2} error={invalid} />
          </div>
          <ErrorAlert error={error} />
          <div className="modal-footer">
            <button type="button" className="btn" onClick={cancel}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Adding…" : "Add MFA"}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** The MFA panel of a user's (or the root user's own) security credentials. */
export function MfaPanel({ userName, root }: { userName?: string; root?: boolean }) {
  const devices = useAsync(async () => (await iam().send(new ListMFADevicesCommand(root ? {} : { UserName: userName }))).MFADevices ?? [], [userName, root]);
  const [assigning, setAssigning] = useState(false);
  const [removing, setRemoving] = useState<MFADevice>();
  return (
    <Panel
      title="Multi-factor authentication (MFA)"
      actions={
        <button type="button" className="btn" onClick={() => setAssigning(true)} disabled={root && (devices.data?.length ?? 0) > 0}>
          Assign MFA device
        </button>
      }
    >
      <ResourceTable<MFADevice>
        resourceName="MFA devices"
        items={devices.data}
        loading={devices.loading}
        error={devices.error}
        onRetry={devices.reload}
        rowKey={(d) => d.SerialNumber!}
        columns={[
          { id: "SerialNumber", header: "Identifier", cell: (d) => <span className="arn">{d.SerialNumber}</span> },
          { id: "type", header: "Type", cell: () => "Virtual", sortable: false },
          { id: "EnableDate", header: "Assigned", cell: (d) => formatDate(d.EnableDate), sortValue: (d) => d.EnableDate?.getTime() },
          {
            id: "actions",
            header: "Actions",
            sortable: false,
            cell: (d) => (
              <button type="button" className="btn btn-link" onClick={() => setRemoving(d)} aria-label={`Remove MFA device ${d.SerialNumber}`}>
                Remove
              </button>
            ),
          },
        ]}
        empty={<p>No MFA device. Assign one to protect {root ? "the root user" : "this user"}'s sign-in.</p>}
      />
      {assigning && <AssignMfaModal userName={userName} root={root} onClose={() => setAssigning(false)} onDone={devices.reload} />}
      {removing && (
        <ConfirmDialog
          title="Remove MFA device?"
          confirmLabel="Remove"
          onClose={() => setRemoving(undefined)}
          onConfirm={async () => {
            if (root) await post("root-mfa/deactivate");
            else await iam().send(new DeactivateMFADeviceCommand({ UserName: userName, SerialNumber: removing.SerialNumber }));
            await iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: removing.SerialNumber })).catch(() => undefined);
            notify("MFA device removed");
            devices.reload();
          }}
        >
          <p>
            Sign-in will no longer ask for a code from <code>{removing.SerialNumber}</code>.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}
