/**
 * Virtual MFA devices through the official clients: the seed and QR code, enabling with two
 * consecutive RFC 6238 codes (made here with the same TOTP library an authenticator app uses),
 * resync after clock drift, deactivate/delete rules, and verifyTotp for STS.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOTP, Secret, TOTP } from "otpauth";
import {
  IAMClient,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  GetMFADeviceCommand,
  ListMFADevicesCommand,
  ListMFADeviceTagsCommand,
  ListVirtualMFADevicesCommand,
  ResyncMFADeviceCommand,
  TagMFADeviceCommand,
} from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { openStorage } from "../src/storage/index.js";
import { verifyTotp } from "../src/services/iam/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let iam: IAMClient;
beforeAll(async () => {
  n = await startTestNimbus();
  iam = new IAMClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

type AwsError = { name: string; Code?: string; message: string; $metadata: { httpStatusCode: number } };
async function expectError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp) {
  const e = await p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (x: unknown) => x as AwsError,
  );
  expect(e.Code ?? e.name).toBe(code);
  expect(e.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}

/** The code an authenticator shows `offsetSteps` 30-second steps from `atMs`. */
function code(seed: string, atMs: number, offsetSteps = 0): string {
  const step = Math.floor(atMs / 30_000) + offsetSteps;
  return HOTP.generate({ secret: Secret.fromBase32(seed), counter: step, digits: 6, algorithm: "SHA1" });
}

async function createDevice(client: IAMClient, name: string) {
  const out = await client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
  const d = out.VirtualMFADevice!;
  return { serial: d.SerialNumber!, seed: Buffer.from(d.Base32StringSeed!).toString("ascii"), png: Buffer.from(d.QRCodePNG!) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("virtual MFA devices", () => {
  it("creates a device with a Base32 seed and a QR code PNG", async () => {
    const d = await createDevice(iam, "phone");
    expect(d.serial).toBe("arn:aws:iam::000000000000:mfa/phone");
    expect(d.seed).toMatch(/^[A-Z2-7]{32}$/);
    expect(d.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(d.png.length).toBeGreaterThan(200);
    // The seed works in any RFC 6238 implementation: the library's own TOTP agrees with HOTP.
    const now = n.clock.nowMs();
    expect(new TOTP({ secret: Secret.fromBase32(d.seed) }).generate({ timestamp: now })).toBe(code(d.seed, now));
    await expectError(
      iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "phone" })),
      "EntityAlreadyExists",
      409,
      "MFADevice entity at the same path and name already exists.",
    );
    await expectError(iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "bad name" })), "ValidationError", 400);
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial }));
  });

  it("enables a device only with two consecutive valid codes", async () => {
    await iam.send(new CreateUserCommand({ UserName: "mfa-user" }));
    const d = await createDevice(iam, "mfa-user-device");
    const now = n.clock.nowMs();
    const enable = (c1: string, c2: string) =>
      iam.send(new EnableMFADeviceCommand({ UserName: "mfa-user", SerialNumber: d.serial, AuthenticationCode1: c1, AuthenticationCode2: c2 }));
    await expectError(enable("123456", "654321"), "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.");
    // Two codes, but not consecutive.
    await expectError(enable(code(d.seed, now, -2), code(d.seed, now)), "InvalidAuthenticationCode", 403);
    // Codes from a device whose clock is an hour off are not accepted without a resync.
    await expectError(enable(code(d.seed, now, 120), code(d.seed, now, 121)), "InvalidAuthenticationCode", 403);
    await expectError(enable("12345", "123456"), "ValidationError", 400);

    await enable(code(d.seed, now, -1), code(d.seed, now));
    const listed = await iam.send(new ListMFADevicesCommand({ UserName: "mfa-user" }));
    expect(listed.MFADevices!.map((x) => x.SerialNumber)).toEqual([d.serial]);
    expect(listed.MFADevices![0]!.EnableDate).toBeInstanceOf(Date);
    expect((await iam.send(new GetMFADeviceCommand({ SerialNumber: d.serial }))).UserName).toBe("mfa-user");

    const assigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Assigned" }));
    expect(assigned.VirtualMFADevices!.map((x) => [x.SerialNumber, x.User?.UserName])).toEqual([[d.serial, "mfa-user"]]);
    expect(assigned.VirtualMFADevices![0]!.Base32StringSeed).toBeUndefined();
    const spare = await createDevice(iam, "spare");
    const unassigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }));
    expect(unassigned.VirtualMFADevices!.map((x) => x.SerialNumber)).toEqual([spare.serial]);
    expect((await iam.send(new ListVirtualMFADevicesCommand({}))).VirtualMFADevices!.length).toBe(2);

    // The credential report shows the MFA.
    await iam.send(new GenerateCredentialReportCommand({}));
    const csv = Buffer.from((await iam.send(new GetCredentialReportCommand({}))).Content!).toString();
    expect(csv.split("\n").find((l) => l.startsWith("mfa-user,"))!.split(",")[7]).toBe("true");

    await expectError(
      enable(code(d.seed, now), code(d.seed, now, 1)),
      "EntityAlreadyExists",
      409,
    );
    await expectError(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial })), "DeleteConflict", 409, "MFA VirtualDevice in use. Must deactivate first.");
    await expectError(iam.send(new DeleteUserCommand({ UserName: "mfa-user" })), "DeleteConflict", 409, "Cannot delete entity, must delete MFA device first.");

    await iam.send(new TagMFADeviceCommand({ SerialNumber: d.serial, Tags: [{ Key: "kind", Value: "phone" }] }));
    expect((await iam.send(new ListMFADeviceTagsCommand({ SerialNumber: d.serial }))).Tags).toEqual([{ Key: "kind", Value: "phone" }]);

    await iam.send(new DeactivateMFADeviceCommand({ UserName: "mfa-user", SerialNumber: d.serial }));
    await expectError(iam.send(new DeactivateMFADeviceCommand({ UserName: "mfa-user", SerialNumber: d.serial })), "NoSuchEntity", 404);
    expect((await iam.send(new ListMFADevicesCommand({ UserName: "mfa-user" }))).MFADevices).toEqual([]);
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial }));
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: spare.serial }));
    await expectError(
      iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: spare.serial })),
      "NoSuchEntity",
      404,
      `VirtualMFADevice with serial number ${spare.serial} doesn't exist.`,
    );
    await iam.send(new DeleteUserCommand({ UserName: "mfa-user" }));
  });

  it("resyncs a drifted device and checks codes for STS (verifyTotp), each code once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "nimbus-mfa-"));
    try {
      let node = await startTestNimbus({ ephemeral: false, dataDir });
      const c = new IAMClient(sdkConfig(node));
      await c.send(new CreateUserCommand({ UserName: "drifter" }));
      const d = await createDevice(c, "drifter");
      const t0 = node.clock.nowMs();
      await c.send(
        new EnableMFADeviceCommand({ UserName: "drifter", SerialNumber: d.serial, AuthenticationCode1: code(d.seed, t0), AuthenticationCode2: code(d.seed, t0, 1) }),
      );
      // The server's clock moves two hours on; the phone's does not.
      node.clock.advance(7200);
      const phone = t0 + 60_000;
      await expectError(
        c.send(new ResyncMFADeviceCommand({ UserName: "drifter", SerialNumber: d.serial, AuthenticationCode1: "000000", AuthenticationCode2: "111111" })),
        "InvalidAuthenticationCode",
        403,
      );
      await c.send(
        new ResyncMFADeviceCommand({ UserName: "drifter", SerialNumber: d.serial, AuthenticationCode1: code(d.seed, phone), AuthenticationCode2: code(d.seed, phone, 1) }),
      );
      const serverNow = node.clock.now();
      await node.stop();

      const storage = await openStorage({ dataDir });
      try {
        const later = new Date(serverNow.getTime() + 30_000);
        const phoneCode = code(d.seed, phone, 2);
        expect(await verifyTotp(storage, "000000000000", d.serial, phoneCode, later, { userName: "drifter" })).toBe(true);
        // A code is good once.
        expect(await verifyTotp(storage, "000000000000", d.serial, phoneCode, later)).toBe(false);
        expect(await verifyTotp(storage, "000000000000", d.serial, code(d.seed, phone, 3), later, { userName: "someone-else" })).toBe(false);
        expect(await verifyTotp(storage, "000000000000", d.serial, "12345", later)).toBe(false);
        expect(await verifyTotp(storage, "000000000000", "arn:aws:iam::000000000000:mfa/none", "123456", later)).toBe(false);
        expect(await verifyTotp(storage.metadata, "000000000000", d.serial, code(d.seed, phone, 3), later)).toBe(true);
        // Far in the future, with no new resync, the phone's codes are stale.
        expect(await verifyTotp(storage, "000000000000", d.serial, code(d.seed, phone, 4), new Date(later.getTime() + 3600_000))).toBe(false);
      } finally {
        await storage.close();
      }
      node = await startTestNimbus({ ephemeral: false, dataDir });
      await node.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("virtual MFA through the AWS CLI and boto3", () => {
  it("writes the QR code PNG with the CLI's --outfile", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-qr-"));
    try {
      const out = join(dir, "qr.png");
      const r = await awsCli(n, ["iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-phone", "--outfile", out, "--bootstrap-method", "QRCodePNG"]);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { VirtualMFADevice: { SerialNumber: string } }).VirtualMFADevice.SerialNumber).toBe("arn:aws:iam::000000000000:mfa/cli-phone");
      expect((await readFile(out)).subarray(0, 8)).toEqual(PNG_SIGNATURE);
      await awsCli(n, ["iam", "delete-virtual-mfa-device", "--serial-number", "arn:aws:iam::000000000000:mfa/cli-phone"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("enables a device with boto3 (codes from the seed boto3 received)", async () => {
    await iam.send(new CreateUserCommand({ UserName: "boto-mfa" }));
    const created = await boto3(
      n,
      [
        "d = client('iam').create_virtual_mfa_device(VirtualMFADeviceName='boto-phone')['VirtualMFADevice']",
        "print(json.dumps([d['SerialNumber'], d['Base32StringSeed'].decode('ascii'), d['QRCodePNG'][:4].hex()]))",
      ].join("\n"),
    );
    expect(created.stderr).toBe("");
    const [serial, seed, pngHead] = JSON.parse(created.stdout) as [string, string, string];
    expect(pngHead).toBe("89504e47");
    const now = n.clock.nowMs();
    const enabled = await boto3(
      n,
      [
        `client('iam').enable_mfa_device(UserName='boto-mfa', SerialNumber='${serial}', AuthenticationCode1='${code(seed, now)}', AuthenticationCode2='${code(seed, now, 1)}')`,
        "print(json.dumps([d['SerialNumber'] for d in client('iam').list_mfa_devices(UserName='boto-mfa')['MFADevices']]))",
      ].join("\n"),
    );
    expect(enabled.stderr).toBe("");
    expect(JSON.parse(enabled.stdout)).toEqual([serial]);
  });
});
