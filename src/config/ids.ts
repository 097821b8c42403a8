// Identifiers the API assigns: uuids (and their id_perms 64-bit halves), timestamps, VMI MACs.
import { randomUUID } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const newUuid = (): string => randomUUID();
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/** id_perms.uuid: the two unsigned 64-bit halves of the uuid, as decimal strings (see vnc/wire.ts). */
export function uuidHalves(uuid: string): { uuid_mslong: string; uuid_lslong: string } {
  // 8-4-4-4-12: the first half is groups 1-3, the second groups 4-5.
  const ms = `0x${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}`;
  const ls = `0x${uuid.slice(19, 23)}${uuid.slice(24, 36)}`;
  return { uuid_mslong: BigInt(ms).toString(), uuid_lslong: BigInt(ls).toString() };
}

/** VMI MAC as the original assigns it: 02 followed by the first five bytes of the VMI uuid. */
export function macFromUuid(uuid: string): string {
  if (uuid[8] !== '-') {
    const hex = uuid.replace(/-/g, '').slice(0, 10);
    return ['02', ...(hex.match(/../g) ?? [])].join(':');
  }
  return `02:${uuid.slice(0, 2)}:${uuid.slice(2, 4)}:${uuid.slice(4, 6)}:${uuid.slice(6, 8)}:${uuid.slice(9, 11)}`;
}

let lastMicros = 0;
/** The ISO text of the last second formatted, and that second (timestamps within it reuse the text). */
let secondText = '';
let second = -1;
/**
 * The original's timestamp format (ISO 8601, microseconds, no zone): 2017-12-27T18:45:33.957901.
 * Strictly increasing within a process, so id_perms.last_modified works as an ETag.
 */
export function timestamp(): string {
  let micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const s = Math.floor(micros / 1_000_000);
  if (s !== second) {
    second = s;
    secondText = new Date(s * 1000).toISOString().slice(0, 19);
  }
  return `${secondText}.${String(micros % 1_000_000).padStart(6, '0')}`;
}
