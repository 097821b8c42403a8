// Identifiers the API assigns: uuids (and their id_perms 64-bit halves), timestamps, VMI MACs.
import { randomUUID } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const newUuid = (): string => randomUUID();
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/** id_perms.uuid: the two unsigned 64-bit halves of the uuid, as decimal strings (see vnc/wire.ts). */
export function uuidHalves(uuid: string): { uuid_mslong: string; uuid_lslong: string } {
  const hex = uuid.replace(/-/g, '');
  return { uuid_mslong: BigInt(`0x${hex.slice(0, 16)}`).toString(), uuid_lslong: BigInt(`0x${hex.slice(16)}`).toString() };
}

/** VMI MAC as the original assigns it: 02 followed by the first five bytes of the VMI uuid. */
export function macFromUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, '').slice(0, 10);
  return ['02', ...(hex.match(/../g) ?? [])].join(':');
}

let lastMicros = 0;
/**
 * The original's timestamp format (ISO 8601, microseconds, no zone): 2017-12-27T18:45:33.957901.
 * Strictly increasing within a process, so id_perms.last_modified works as an ETag.
 */
export function timestamp(): string {
  let micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const iso = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19);
  return `${iso}.${String(micros % 1_000_000).padStart(6, '0')}`;
}
