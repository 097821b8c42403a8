// JSON on the wire. The original sends id_perms.uuid.uuid_mslong/uuid_lslong as unsigned 64-bit
// JSON integers, which JavaScript numbers cannot hold exactly. We keep them as decimal strings in
// memory and turn them into bare integers in the text on the way out (toWire) and back into strings
// on the way in (fromWire), so values survive exactly both ways.

const OUT = /"(uuid_mslong|uuid_lslong)":"(\d+)"/g;
const IN = /"(uuid_mslong|uuid_lslong)":(\d+)/g;

export function toWire(json: string): string {
  return json.includes('_long') || json.includes('slong') ? json.replace(OUT, '"$1":$2') : json;
}

export function fromWire(text: string): string {
  return text.includes('slong') ? text.replace(IN, '"$1":"$2"') : text;
}

export function parseWire(text: string): unknown {
  return JSON.parse(fromWire(text)) as unknown;
}

export function stringifyWire(value: unknown): string {
  return toWire(JSON.stringify(value));
}
