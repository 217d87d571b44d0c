/** Virtual MFA devices: create (seed + QR code), enable with two consecutive codes, resync, list. */
import type { RequestContext } from "../../core/service.js";
import type { IamOperations } from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import { QUOTAS, date, err, initialTags, iso, mergeTags, needUser, page, removeTags, tagPage, userOut } from "./common.js";
import {
  RESYNC_WINDOW,
  VERIFY_WINDOW,
  findConsecutive,
  getDevice,
  newSeed,
  otpauthUri,
  qrCodePng,
  stepAt,
} from "./mfa.js";
import { arnOf, mutate, nameKey, readDb, type IamDb, type MfaDeviceRecord } from "./store.js";
import { PATTERNS, check } from "./validate.js";

const NAME = PATTERNS.name;

function checkCodes(c: ReturnType<typeof check>, input: { AuthenticationCode1: string; AuthenticationCode2: string }) {
  return c
    .str("authenticationCode1", input.AuthenticationCode1, 6, 6, PATTERNS.authenticationCode)
    .str("authenticationCode2", input.AuthenticationCode2, 6, 6, PATTERNS.authenticationCode);
}

function noDevice(serial: string) {
  return err(IamErrors.NoSuchEntity, `MFA Device with serial number ${serial} does not exist.`);
}

/** The device enabled for this user, or NoSuchEntity. */
async function deviceOfUser(db: IamDb, userName: string, serial: string): Promise<MfaDeviceRecord> {
  const u = await needUser(db, userName);
  const d = await getDevice(db, serial);
  if (!d || d.user !== nameKey(u.name)) throw noDevice(serial);
  return d;
}

function callerUserName(ctx: RequestContext, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  const p = ctx.principal;
  if (p.type === "user") return p.userName;
  if (p.type === "root") return undefined;
  throw err(IamErrors.ValidationError, "Must specify userName when calling with non-User credentials");
}

export const mfaHandlers: Partial<IamOperations> = {
  async CreateVirtualMFADevice(ctx, input) {
    check()
      .str("path", input.Path, 1, 512, PATTERNS.path)
      .str("virtualMFADeviceName", input.VirtualMFADeviceName, 1, 226, NAME)
      .tags("tags", input.Tags)
      .done();
    const tags = initialTags(input.Tags);
    const path = input.Path ?? "/";
    const serial = arnOf.mfa(ctx.account, path, input.VirtualMFADeviceName);
    const seed = newSeed();
    const png = await qrCodePng(otpauthUri(seed, input.VirtualMFADeviceName, ctx.account));
    await mutate(ctx, async (db) => {
      const rec: MfaDeviceRecord = { serial, name: input.VirtualMFADeviceName, path, seed, createDate: iso(ctx), tags, driftSteps: 0 };
      if (!(await db.mfaDevices.insert(serial.toLowerCase(), rec))) {
        throw err(IamErrors.EntityAlreadyExists, "MFADevice entity at the same path and name already exists.");
      }
    });
    return {
      VirtualMFADevice: {
        SerialNumber: serial,
        // AWS returns the seed as its base-32 text (the blob is base64 on the wire).
        Base32StringSeed: Buffer.from(seed, "ascii"),
        QRCodePNG: png,
        ...(tags.length ? { Tags: tags } : {}),
      },
    };
  },

  async EnableMFADevice(ctx, input) {
    checkCodes(
      check().str("userName", input.UserName, 1, 128, NAME).str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber),
      input,
    ).done();
    const now = ctx.clock.now();
    await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      const d = await getDevice(db, input.SerialNumber);
      if (!d) throw noDevice(input.SerialNumber);
      if (d.user) throw err(IamErrors.EntityAlreadyExists, "MFA Device is already in use.");
      if (u.mfaDevices.length >= QUOTAS.mfaDevicesPerUser) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for MFADevicesPerUser: ${QUOTAS.mfaDevicesPerUser}`);
      }
      const s = findConsecutive(d.seed, input.AuthenticationCode1, input.AuthenticationCode2, stepAt(now.getTime()), VERIFY_WINDOW);
      if (s === undefined) throw err(IamErrors.InvalidAuthenticationCode);
      await db.mfaDevices.put(d.serial.toLowerCase(), {
        ...d,
        user: nameKey(u.name),
        enableDate: now.toISOString(),
        driftSteps: 0,
        lastStep: s + 1,
      });
      await db.users.put(nameKey(u.name), { ...u, mfaDevices: [...u.mfaDevices, d.serial] });
    });
  },

  async ResyncMFADevice(ctx, input) {
    checkCodes(
      check().str("userName", input.UserName, 1, 128, NAME).str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber),
      input,
    ).done();
    const nowStep = stepAt(ctx.clock.nowMs());
    await mutate(ctx, async (db) => {
      const d = await deviceOfUser(db, input.UserName, input.SerialNumber);
      const s = findConsecutive(d.seed, input.AuthenticationCode1, input.AuthenticationCode2, nowStep + d.driftSteps, {
        back: RESYNC_WINDOW,
        ahead: RESYNC_WINDOW,
      });
      if (s === undefined) throw err(IamErrors.InvalidAuthenticationCode);
      await db.mfaDevices.put(d.serial.toLowerCase(), { ...d, driftSteps: s + 1 - nowStep, lastStep: s + 1 });
    });
  },

  async DeactivateMFADevice(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).done();
    await mutate(ctx, async (db) => {
      const d = await deviceOfUser(db, input.UserName, input.SerialNumber);
      const u = await needUser(db, input.UserName);
      const { user: _u, enableDate: _e, lastStep: _l, ...rest } = d;
      await db.mfaDevices.put(d.serial.toLowerCase(), { ...rest, driftSteps: 0 });
      await db.users.put(nameKey(u.name), { ...u, mfaDevices: u.mfaDevices.filter((s) => s.toLowerCase() !== d.serial.toLowerCase()) });
    });
  },

  async DeleteVirtualMFADevice(ctx, input) {
    check().str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).done();
    await mutate(ctx, async (db) => {
      const d = await getDevice(db, input.SerialNumber);
      if (!d) throw err(IamErrors.NoSuchEntity, `VirtualMFADevice with serial number ${input.SerialNumber} doesn't exist.`);
      if (d.user) throw err(IamErrors.DeleteConflict, "MFA VirtualDevice in use. Must deactivate first.");
      await db.mfaDevices.delete(d.serial.toLowerCase());
    });
  },

  async ListMFADevices(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).paging(input).done();
    const userName = callerUserName(ctx, input.UserName);
    const db = readDb(ctx);
    if (userName === undefined) {
      // The root user's own device (enabled from the console).
      const serial = (await db.root()).mfaDevice;
      const d = serial ? await getDevice(db, serial) : undefined;
      const MFADevices = d?.enableDate ? [{ UserName: ctx.account, SerialNumber: d.serial, EnableDate: date(d.enableDate) }] : [];
      return { MFADevices, IsTruncated: false };
    }
    const u = await needUser(db, userName);
    const devices: MfaDeviceRecord[] = [];
    for (const s of u.mfaDevices) {
      const d = await getDevice(db, s);
      if (d?.enableDate) devices.push(d);
    }
    const p = page(devices, (d) => d.serial.toLowerCase(), input);
    return {
      MFADevices: p.items.map((d) => ({ UserName: u.name, SerialNumber: d.serial, EnableDate: date(d.enableDate!) })),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  },

  async GetMFADevice(ctx, input) {
    check().str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).str("userName", input.UserName, 1, 128, NAME).done();
    const db = readDb(ctx);
    const d = await getDevice(db, input.SerialNumber);
    if (!d || !d.user) throw noDevice(input.SerialNumber);
    const u = await db.users.get(d.user);
    if (!u || (input.UserName !== undefined && nameKey(input.UserName) !== d.user)) throw noDevice(input.SerialNumber);
    return { UserName: u.name, SerialNumber: d.serial, ...(d.enableDate ? { EnableDate: date(d.enableDate) } : {}) };
  },

  async ListVirtualMFADevices(ctx, input) {
    check().oneOf("assignmentStatus", input.AssignmentStatus, ["Assigned", "Unassigned", "Any"]).paging(input).done();
    const db = readDb(ctx);
    const status = input.AssignmentStatus ?? "Any";
    const devices = (await db.all(db.mfaDevices)).filter(
      (d) => status === "Any" || (status === "Assigned" ? d.user !== undefined : d.user === undefined),
    );
    const p = page(devices, (d) => d.serial.toLowerCase(), input);
    const out = [];
    for (const d of p.items) {
      const u = d.user ? await db.users.get(d.user) : undefined;
      out.push({
        SerialNumber: d.serial,
        ...(u ? { User: userOut(ctx.account, u) } : {}),
        ...(d.enableDate ? { EnableDate: date(d.enableDate) } : {}),
        ...(d.tags.length ? { Tags: d.tags } : {}),
      });
    }
    return { VirtualMFADevices: out, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async TagMFADevice(ctx, input) {
    check().str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).tags("tags", input.Tags).done();
    await mutate(ctx, async (db) => {
      const d = await getDevice(db, input.SerialNumber);
      if (!d) throw noDevice(input.SerialNumber);
      await db.mfaDevices.put(d.serial.toLowerCase(), { ...d, tags: mergeTags(d.tags, input.Tags) });
    });
  },

  async UntagMFADevice(ctx, input) {
    check().str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).count("tagKeys", input.TagKeys, 0, 50).done();
    await mutate(ctx, async (db) => {
      const d = await getDevice(db, input.SerialNumber);
      if (!d) throw noDevice(input.SerialNumber);
      await db.mfaDevices.put(d.serial.toLowerCase(), { ...d, tags: removeTags(d.tags, input.TagKeys) });
    });
  },

  async ListMFADeviceTags(ctx, input) {
    check().str("serialNumber", input.SerialNumber, 9, 256, PATTERNS.serialNumber).paging(input).done();
    const d = await getDevice(readDb(ctx), input.SerialNumber);
    if (!d) throw noDevice(input.SerialNumber);
    return tagPage(d.tags, input);
  },
};
