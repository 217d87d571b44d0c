/**
 * Virtual MFA devices: RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps).
 *
 * `otpauth` computes the codes and renders the otpauth:// URI: a small, dependency-free,
 * widely used implementation of RFC 4226/6238, so the codes are the ones every authenticator
 * app shows (the tests generate codes with it from the returned seed, as a person's phone would).
 * `qrcode` renders the URI as the PNG AWS returns in QRCodePNG: the standard QR encoder on npm;
 * writing a QR encoder (Reed-Solomon, masking, PNG) here would be a project of its own.
 */
import { HOTP, Secret, TOTP } from "otpauth";
import type { MetadataStore } from "../../storage/types.js";
import { IamDb, ROOT_DEVICE_OWNER, accountScope, nameKey, type MfaDeviceRecord } from "./store.js";

export const STEP_SECONDS = 30;
/** How far a code may be from the server's step when enabling or signing in (steps each way). */
export const VERIFY_WINDOW = { back: 4, ahead: 1 };
/** ResyncMFADevice may find a device this far off (about a day either way). */
export const RESYNC_WINDOW = 2880;

export function newSeed(): string {
  // 20 random bytes (crypto.getRandomValues), as RFC 4226 recommends for SHA-1: 32 base-32 characters.
  return new Secret({ size: 20 }).base32;
}

export function otpauthUri(seed: string, deviceName: string, account: string): string {
  return new TOTP({
    issuer: "Amazon Web Services",
    label: `${deviceName}@${account}`,
    secret: Secret.fromBase32(seed),
    algorithm: "SHA1",
    digits: 6,
    period: STEP_SECONDS,
  }).toString();
}

export async function qrCodePng(uri: string): Promise<Buffer> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toBuffer(uri, { type: "png", errorCorrectionLevel: "M", margin: 2, scale: 4 });
}

export function stepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / STEP_SECONDS);
}

export function codeAt(seed: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(seed), algorithm: "SHA1", digits: 6, counter: step });
}

/**
 * The step s such that code1 is the code of s and code2 that of s + 1 (two consecutive codes),
 * searched within `window` steps of `center`, newest first; undefined when there is none.
 */
export function findConsecutive(
  seed: string,
  code1: string,
  code2: string,
  center: number,
  window: { back: number; ahead: number },
): number | undefined {
  for (let s = center + window.ahead; s >= center - window.back; s--) {
    if (codeAt(seed, s) === code1 && codeAt(seed, s + 1) === code2) return s;
  }
  return undefined;
}

/** The step a single code matches within the usual window (drift applied), if any. */
export function findSingle(seed: string, code: string, center: number): number | undefined {
  for (let s = center + VERIFY_WINDOW.ahead; s >= center - VERIFY_WINDOW.back; s--) {
    if (codeAt(seed, s) === code) return s;
  }
  return undefined;
}

/** Find an MFA device by serial number (serials are ARNs, matched regardless of case). */
export async function getDevice(db: IamDb, serial: string): Promise<MfaDeviceRecord | undefined> {
  return db.mfaDevices.get(serial.toLowerCase());
}

/**
 * Check a TOTP code for an enabled MFA device, for STS (GetSessionToken, AssumeRole with
 * SerialNumber/TokenCode). True only if the device exists in the account, is enabled (for
 * `userName` when given), the code matches within a few steps of `now`, and the code's step is
 * later than the last one accepted (a code is good once). The accepted step is recorded.
 */
export async function verifyTotp(
  storage: MetadataStore | { metadata: MetadataStore },
  account: string,
  serialNumber: string,
  code: string,
  now: Date,
  opts: { userName?: string; root?: boolean } = {},
): Promise<boolean> {
  const metadata = "metadata" in storage ? storage.metadata : storage;
  if (!/^\d{6}$/.test(code)) return false;
  return metadata.transaction(async (tx) => {
    const txDb = new IamDb(tx, accountScope(account));
    const device = await getDevice(txDb, serialNumber);
    if (!device || !device.user) return false;
    if (opts.userName !== undefined && device.user !== nameKey(opts.userName)) return false;
    if (opts.root && device.user !== ROOT_DEVICE_OWNER) return false;
    const step = findSingle(device.seed, code, stepAt(now.getTime()) + device.driftSteps);
    if (step === undefined) return false;
    if (device.lastStep !== undefined && step <= device.lastStep) return false;
    await txDb.mfaDevices.put(device.serial.toLowerCase(), { ...device, lastStep: step });
    return true;
  });
}

export type RootMfaResult = "ok" | "no-device" | "in-use" | "bad-codes" | "already-enabled";

/**
 * Enable a virtual MFA device (made with CreateVirtualMFADevice) for the account's root user,
 * given two consecutive codes. AWS does this only in its console, and so does Nimbus (the IAM
 * API's EnableMFADevice needs a user name).
 */
export async function enableRootMfa(metadata: MetadataStore, account: string, serial: string, code1: string, code2: string, now: Date): Promise<RootMfaResult> {
  return metadata.transaction(async (tx) => {
    const db = new IamDb(tx, accountScope(account));
    const root = await db.root();
    if (root.mfaDevice) return "already-enabled";
    const d = await getDevice(db, serial);
    if (!d) return "no-device";
    if (d.user) return "in-use";
    const s = findConsecutive(d.seed, code1, code2, stepAt(now.getTime()), VERIFY_WINDOW);
    if (s === undefined) return "bad-codes";
    await db.mfaDevices.put(d.serial.toLowerCase(), { ...d, user: ROOT_DEVICE_OWNER, enableDate: now.toISOString(), driftSteps: 0, lastStep: s + 1 });
    await db.setRoot({ ...root, mfaDevice: d.serial });
    return "ok";
  });
}

/** Remove the root user's MFA device assignment (the device itself stays, unassigned). */
export async function deactivateRootMfa(metadata: MetadataStore, account: string): Promise<boolean> {
  return metadata.transaction(async (tx) => {
    const db = new IamDb(tx, accountScope(account));
    const root = await db.root();
    if (!root.mfaDevice) return false;
    const d = await getDevice(db, root.mfaDevice);
    if (d) {
      const { user: _u, enableDate: _e, lastStep: _l, ...rest } = d;
      await db.mfaDevices.put(d.serial.toLowerCase(), { ...rest, driftSteps: 0 });
    }
    const { mfaDevice: _m, ...next } = root;
    await db.setRoot(next);
    return true;
  });
}

/** The serial of the MFA device a console sign-in must present: the user's first, or root's. */
export async function signInMfaDevice(metadata: MetadataStore, account: string, userName: string | undefined): Promise<string | undefined> {
  const db = new IamDb(metadata, accountScope(account));
  if (userName === undefined) return (await db.root()).mfaDevice;
  const u = await db.users.get(nameKey(userName));
  return u?.mfaDevices[0];
}
