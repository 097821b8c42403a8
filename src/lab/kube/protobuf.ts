// Decodes the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) of the objects
// kubectl's generator subcommands send: the "k8s\0" magic, a runtime.Unknown envelope naming the
// kind, and the object's message per protobuf-schema.ts, turned into the object's JSON form. Fields
// the schema does not describe are refused (415) rather than dropped. Pure.
import { KubeApiError } from './errors.js';
import { PROTO_KINDS, PROTO_MESSAGES } from './protobuf-schema.js';
import { timestamp } from './registry.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const refuse = (message: string): KubeApiError => new KubeApiError(415, 'UnsupportedMediaType', `protobuf body not understood by the lab API (send JSON or YAML): ${message}`);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw refuse('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw refuse('varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw refuse('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw refuse(`wire type ${wire}`);
  }
}

type Json = unknown;

function scalar(type: string, wire: number, r: Reader): Json {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'time': {
      const t = decodeMessage('meta.Time', r.bytes()) as { seconds?: number; nanos?: number };
      return timestamp(new Date((t.seconds ?? 0) * 1000));
    }
    case 'quantity': {
      const q = new Reader(r.bytes());
      let s = '';
      while (!q.done) {
        const tag = Number(q.varint());
        if (tag >>> 3 === 1 && (tag & 7) === 2) s = q.bytes().toString('utf8');
        else q.skip(tag & 7);
      }
      return s;
    }
    default:
      if (type.startsWith('msg:')) {
        const msg = type.slice(4);
        if (msg === 'intstr.IntOrString') {
          const v = decodeMessage(msg, r.bytes()) as { type?: number; intVal?: number; strVal?: string };
          return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
        }
        return decodeMessage(msg, r.bytes());
      }
      throw refuse(`unexpected field type ${type} (wire ${wire})`);
  }
}

function mapEntry(valueType: string, r: Reader): [string, Json] {
  const e = new Reader(r.bytes());
  let key = '';
  let value: Json = valueType === 'bytes' ? '' : valueType === 'string' ? '' : undefined;
  while (!e.done) {
    const tag = Number(e.varint());
    const field = tag >>> 3;
    if (field === 1) key = e.bytes().toString('utf8');
    else if (field === 2) value = scalar(valueType, tag & 7, e);
    else e.skip(tag & 7);
  }
  return [key, value];
}

/**
 * Go's generated marshalers write every non-pointer field, zero or not; JSON omits them. Zero values
 * are dropped, except for the pointer fields (where zero or false was set on purpose).
 */
const POINTER_NUMBERS = new Set(['replicas', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'deletionGracePeriodSeconds', 'gracePeriodSeconds', 'tolerationSeconds']);
const POINTER_BOOLS = new Set(['immutable', 'automountServiceAccountToken', 'allocateLoadBalancerNodePorts', 'enableServiceLinks', 'orphanDependents', 'shareProcessNamespace', 'setHostnameAsFQDN', 'hostUsers', 'controller', 'blockOwnerDeletion']);

function isZero(json: string, type: string, v: Json): boolean {
  if (v === '' && type !== 'bytes') return true;
  if (v === 0 && !POINTER_NUMBERS.has(json)) return true;
  if (v === false && !POINTER_BOOLS.has(json)) return true;
  return v === ZERO_TIME;
}

const ZERO_TIME = timestamp(new Date(0));

export function decodeMessage(name: string, buf: Buffer): Record<string, Json> {
  const fields = PROTO_MESSAGES[name];
  if (!fields) throw refuse(`message ${name}`);
  const r = new Reader(buf);
  const out: Record<string, Json> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    const spec = fields.find((f) => f[0] === num);
    if (!spec) {
      const before = r.pos;
      r.skip(wire);
      if (wire === 2 && r.pos - before > 1) throw refuse(`${name} field ${num} is not known to the lab`);
      continue;
    }
    const [, json, rawType] = spec;
    const repeated = rawType.endsWith('[]');
    const type = repeated ? rawType.slice(0, -2) : rawType;
    if (type === 'ignore') {
      r.skip(wire);
      continue;
    }
    if (type === 'skip') {
      const b = r.bytes();
      if (b.length > 0) throw refuse(`${name}.${json} is not decoded by the lab`);
      continue;
    }
    if (type.startsWith('map:')) {
      const [k, v] = mapEntry(type.slice(4), r);
      const m = (out[json] ??= {}) as Record<string, Json>;
      m[k] = v;
      continue;
    }
    if (repeated && wire === 2 && (type === 'int32' || type === 'int64' || type === 'bool')) {
      // packed scalars
      const p = new Reader(r.bytes());
      const list = (out[json] ??= []) as Json[];
      while (!p.done) list.push(scalar(type, 0, p));
      continue;
    }
    const v = scalar(type, wire, r);
    if (repeated) ((out[json] ??= []) as Json[]).push(v);
    else if (!isZero(json, type, v)) out[json] = v;
  }
  return out;
}

export function isKubeProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** A protobuf request body as the JSON object it stands for. */
export function decodeKubeProtobuf(body: Buffer): Record<string, Json> {
  if (!isKubeProtobuf(body)) throw refuse('missing the k8s protobuf prefix');
  const env = decodeMessage('runtime.Unknown', body.subarray(4)) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string; contentEncoding?: string };
  const kind = env.typeMeta?.kind ?? '';
  const apiVersion = env.typeMeta?.apiVersion ?? '';
  if (env.contentEncoding) throw refuse(`content encoding ${env.contentEncoding}`);
  const msg = PROTO_KINDS[kind];
  if (!msg) throw refuse(`kind ${JSON.stringify(kind)}`);
  const obj = decodeMessage(msg, Buffer.from(env.raw ?? '', 'base64'));
  return { apiVersion, kind, ...obj };
}
