// Fuzz: mutated real messages and random bytes must give a message or a typed BgpError, on both the
// object decoder and the receive fast path — never another exception. testdata/ keeps inputs that once
// broke a decoder; each is replayed here. FUZZ_RUNS raises the number of cases (default 3000 per property).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodeMessage, encodeOpen, KEEPALIVE, encodeNotification, encodeRouteRefresh, frameLength } from './message.js';
import { encodeUpdate, encodeEndOfRib, scanUpdate, UpdateScan, attributeKey, updateAttributes } from './update.js';
import { NlriScratch, scanNlri } from './nlri.js';
import { BgpError } from './errors.js';
import { fromHex } from './addr.js';
import type { Family } from './constants.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const here = dirname(fileURLToPath(import.meta.url));

const attrs = {
  origin: 'igp' as const,
  asPath: [{ type: 'sequence' as const, asns: [65001, 4200000000] }],
  nextHop: '192.0.2.1',
  med: 5,
  localPref: 100,
  communities: ['65000:1'],
  extCommunities: ['target:64512:1', 'encapsulation:vxlan'],
  originatorId: '192.0.2.9',
  clusterList: ['192.0.2.100'],
  aggregator: { asn: 1, address: '192.0.2.2' },
  unknown: [{ flags: 0xc0, code: 99, value: Uint8Array.of(1) }],
};

export const SEEDS: Uint8Array[] = [
  KEEPALIVE,
  encodeNotification(6, 2, Uint8Array.of(2, 0x68, 0x69)),
  encodeRouteRefresh(1, 128),
  encodeOpen({ asn: 64512, holdTime: 90, routerId: '192.0.2.1', capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'four-octet-as', asn: 64512 }, { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 60, families: [{ afi: 1, safi: 128, forwarding: true }] }] }),
  encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }], withdrawn: [{ family: 'inet', prefix: '11.0.0.0/8' }], attrs }, { as4: true }),
  encodeUpdate({ announced: [{ nlri: { family: 'inet-vpn', rd: '64512:1', prefix: '10.1.0.0/24' }, labels: [100] }, { nlri: { family: 'inet-vpn', rd: '10.0.0.1:2', prefix: '10.2.0.0/16' }, labels: [1, 2] }], attrs }, { as4: true }),
  encodeUpdate({ withdrawn: [{ family: 'inet-vpn', rd: '64512:1', prefix: '10.1.0.0/24' }] }, { as4: true }),
  encodeUpdate({ announced: [{ nlri: { family: 'route-target', originAs: 64512, routeTarget: 'target:64512:1', prefixLen: 96 }, labels: [] }, { nlri: { family: 'route-target', originAs: 0, routeTarget: null, prefixLen: 0 }, labels: [] }], attrs }, { as4: true }),
  encodeUpdate({ announced: [{ nlri: { family: 'e-vpn', routeType: 2, rd: '64512:1', esi: '0', ethTag: 0, mac: '02:00:00:00:00:01', ip: '10.0.0.1' }, labels: [5000] }, { nlri: { family: 'e-vpn', routeType: 5, rd: '64512:1', esi: '0', ethTag: 0, prefix: '10.0.0.0/24', gateway: '0.0.0.0' }, labels: [5000] }], attrs }, { as4: true }),
  encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }], attrs }, { as4: false }),
  encodeEndOfRib('inet-vpn'),
  ...readdirSync(join(here, 'testdata')).filter((f) => f.startsWith('seed-') && f.endsWith('.hex')).map((f) => fromHex(readFileSync(join(here, 'testdata', f), 'utf8').trim())),
];

/** The receive fast path as the speaker runs it: frame, scan, key the attributes, walk every NLRI. */
export function fastPath(b: Uint8Array, as4: boolean): void {
  const len = frameLength(b, 0, b.length);
  if (len === 0 || b[18] !== 2) return;
  if (len > b.length) return;
  const s = new UpdateScan();
  scanUpdate(b, 0, len, s);
  attributeKey(b, s, as4, true);
  if (s.pathAttrCount > 0 || s.hasReach) updateAttributes(b, s, { as4 }, s.hasReach);
  const n = new NlriScratch();
  const walk = (f: Family, a: number, z: number, w: boolean): void => {
    for (let p = a; p < z; ) p = scanNlri(f, b, p, z, n, w);
  };
  walk('inet', s.withdrawnStart, s.withdrawnEnd, true);
  walk('inet', s.nlriStart, s.nlriEnd, false);
  if (s.reachFamily) walk(s.reachFamily, s.reachStart, s.reachEnd, false);
  if (s.unreachFamily) walk(s.unreachFamily, s.unreachStart, s.unreachEnd, true);
}

function check(b: Uint8Array): void {
  for (const as4 of [true, false]) {
    const r = decodeMessage(b, { as4 });
    if (!r.ok) {
      assert.ok(r.error instanceof BgpError);
      assert.notEqual(r.error.code, 'BGP_DECODE_FAILED', `decoder fault on ${Buffer.from(b).toString('hex')}: ${r.error.message}`);
    }
    try {
      fastPath(b, as4);
    } catch (err) {
      assert.ok(err instanceof BgpError, `fast path threw ${String(err)} on ${Buffer.from(b).toString('hex')}`);
    }
  }
}

/** Keeps the header length consistent with the mutated size, so mutations reach the body decoders. */
function fixLength(b: Uint8Array): Uint8Array {
  if (b.length >= 19 && b.length <= 4096) {
    b[16] = b.length >> 8;
    b[17] = b.length & 255;
  }
  return b;
}

const mutation = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  ops: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
    ),
    { minLength: 1, maxLength: 6 },
  ),
  fix: fc.boolean(),
});

interface Mutation {
  seed: number;
  ops: { kind: string; at: number; value?: number; bit?: number; bytes?: Uint8Array }[];
  fix: boolean;
}

function mutate(m: Mutation): Uint8Array {
  let b = Uint8Array.from(SEEDS[m.seed]);
  for (const op of m.ops) {
    const at = b.length ? op.at % b.length : 0;
    if (op.kind === 'set' && b.length) b[at] = op.value ?? 0;
    else if (op.kind === 'flip' && b.length) b[at] ^= 1 << (op.bit ?? 0);
    else if (op.kind === 'cut') b = b.slice(0, at);
    else if (op.kind === 'insert') {
      const ins = op.bytes ?? new Uint8Array(0);
      const nb = new Uint8Array(b.length + ins.length);
      nb.set(b.subarray(0, at));
      nb.set(ins, at);
      nb.set(b.subarray(at), at + ins.length);
      b = nb;
    }
  }
  return m.fix ? fixLength(b) : b;
}

test('inputs that once broke a decoder (testdata/) decode to a message or a typed error', () => {
  const files = readdirSync(join(here, 'testdata')).filter((f) => f.endsWith('.hex'));
  assert.ok(files.length > 0, 'testdata/ holds at least one regression input');
  for (const f of files) check(fromHex(readFileSync(join(here, 'testdata', f), 'utf8').trim()));
});

test('every seed decodes cleanly', () => {
  for (const s of SEEDS) {
    const r = decodeMessage(s);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    fastPath(s, true);
  }
});

test('mutated real messages give a message or a typed error', () => {
  fc.assert(fc.property(mutation, (m) => check(mutate(m))), { numRuns: RUNS });
});

test('random bytes behind a valid header give a message or a typed error', () => {
  const typed = fc.record({ type: fc.integer({ min: 1, max: 5 }), body: fc.uint8Array({ maxLength: 300 }) }).map(({ type, body }) => {
    const b = new Uint8Array(19 + body.length);
    b.fill(0xff, 0, 16);
    b[16] = b.length >> 8;
    b[17] = b.length & 255;
    b[18] = type;
    b.set(body, 19);
    return b;
  });
  fc.assert(fc.property(fc.oneof(typed, fc.uint8Array({ maxLength: 200 })), (b) => check(b)), { numRuns: RUNS });
});
