/**
 * Storing events in archives and dropping them when their retention ends. An archive receives the
 * events its managed rule (`Events-Archive-<name>`) matches on the source bus; the archive's
 * EventCount and SizeBytes move with every event stored or expired.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { EventEnvelope } from "./dispatch.js";
import { archiveEventKey, eventsTables, type ArchivedEvent, type ArchiveRecord } from "./store.js";

const DAY_MS = 86_400_000;

/** Store one event in an archive (a missing or disabled archive takes nothing). */
export async function archiveEvent(metadata: MetadataStore, scope: Scope, archiveName: string, event: EventEnvelope): Promise<void> {
  const size = Buffer.byteLength(JSON.stringify(event));
  const timeMs = Date.parse(event.time);
  await metadata.transaction(async (tx) => {
    const archives = tx.table<ArchiveRecord>(scope, "archives");
    const archive = await archives.get(archiveName);
    if (!archive || archive.State !== "ENABLED") return;
    await tx.table<ArchivedEvent>(scope, "archive-events").put(archiveEventKey(archiveName, timeMs, event.id), { event, size });
    await archives.put(archiveName, { ...archive, EventCount: archive.EventCount + 1, SizeBytes: archive.SizeBytes + size });
  });
}

/** Drop archived events older than their archive's RetentionDays (by event time), on the injected clock. */
export async function expireArchivedEvents(metadata: MetadataStore, nowMs: number): Promise<number> {
  let dropped = 0;
  for (const scope of await metadata.scopes("events", "archives")) {
    for (const { value: archive } of await eventsTables(metadata, scope).archives.list()) {
      if (!archive.RetentionDays) continue;
      const cutoff = archiveEventKey(archive.ArchiveName, nowMs - archive.RetentionDays * DAY_MS, "");
      for (;;) {
        const n = await metadata.transaction(async (tx) => {
          const events = tx.table<ArchivedEvent>(scope, "archive-events");
          const old = await events.list({ prefix: `${archive.ArchiveName}\u0000`, before: cutoff, limit: 500 });
          if (old.length === 0) return 0;
          let bytes = 0;
          for (const { key, value } of old) {
            await events.delete(key);
            bytes += value.size;
          }
          const archives = tx.table<ArchiveRecord>(scope, "archives");
          const current = await archives.get(archive.ArchiveName);
          if (current) {
            await archives.put(archive.ArchiveName, { ...current, EventCount: Math.max(0, current.EventCount - old.length), SizeBytes: Math.max(0, current.SizeBytes - bytes) });
          }
          return old.length;
        });
        dropped += n;
        if (n < 500) break;
      }
    }
  }
  return dropped;
}
