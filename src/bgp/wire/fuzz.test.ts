// Fuzz: mutated real messages and random bytes must give a message or a typed BgpError, on both the
// object decoder and the receive fast path — never another exception. testdata/ keeps inputs that once
// broke a decoder; each is replayed here. FUZZ_RUNS raises the number of cases (default 3000 per property).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, frameLength, type Message } from './message.js';
import { scanUpdate, UpdateScan, attributeKey, updateAttributes } from './update.js';
import { SEEDS as BASE_SEEDS, mutate, mutation } from './fuzz-corpus.js';
import { NlriScratch, scanNlri } from './nlri.js';
import { BgpError } from './errors.js';
import { fromHex } from './addr.js';
import type { Family } from './constants.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const here = dirname(fileURLToPath(import.meta.url));

const SEEDS: Uint8Array[] = [
  ...BASE_SEEDS,
  ...readdirSync(join(here, 'testdata')).filter((f) => f.startsWith('seed-') && f.endsWith('.hex')).map((f) => fromHex(readFileSync(join(here, 'testdata', f), 'utf8').trim())),
];

/** The receive fast path as the speaker runs it: frame, scan, key the attributes, walk every NLRI. */
function fastPath(b: Uint8Array, as4: boolean): void {
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

/**
 * A message that decodes cleanly must encode back to one that decodes to the same thing: catches values the
 * decoder made up (NaN, undefined) where it read past what it should.
 */
function roundTrip(m: Message, as4: boolean, hex: string): void {
  if (m.type === 'open') {
    const again = decodeMessage(encodeMessage(m, { as4 }), { as4 });
    assert.ok(again.ok, `OPEN does not re-encode: ${hex}`);
    assert.deepEqual(again.message, m, `OPEN round trip differs: ${hex}`);
    return;
  }
  if (m.type !== 'update' || m.treatAsWithdraw || m.discarded.length || m.unsupported.length || m.inetNextHop !== undefined) return;
  const fams = new Set(m.announced.map((x) => x.nlri.family));
  const mpWithdrawn = new Set(m.withdrawn.filter((n) => n.family !== 'inet').map((n) => n.family));
  if (fams.size > 1 || mpWithdrawn.size > 1 || (m.announced.length === 0 && m.attrs) || m.endOfRib) return;
  let bytes: Uint8Array;
  try {
    bytes = encodeMessage({ type: 'update', withdrawn: m.withdrawn, announced: m.announced, ...(m.attrs ? { attrs: m.attrs } : {}) }, { as4 });
  } catch (err) {
    assert.fail(`decoded UPDATE does not re-encode (${String(err)}): ${hex}`);
  }
  const again = decodeMessage(bytes, { as4 });
  assert.ok(again.ok && again.message.type === 'update', `re-encoded UPDATE does not decode: ${hex}`);
  assert.deepEqual(again.message.announced, m.announced, `announced routes differ after a round trip: ${hex}`);
  assert.deepEqual(again.message.attrs, m.attrs, `attributes differ after a round trip: ${hex}`);
  assert.deepEqual(new Set(again.message.withdrawn.map((n) => JSON.stringify(n))), new Set(m.withdrawn.map((n) => JSON.stringify(n))), `withdrawn routes differ: ${hex}`);
}

function check(b: Uint8Array): void {
  for (const as4 of [true, false]) {
    const r = decodeMessage(b, { as4 });
    if (!r.ok) {
      assert.ok(r.error instanceof BgpError);
      assert.notEqual(r.error.code, 'BGP_DECODE_FAILED', `decoder fault on ${Buffer.from(b).toString('hex')}: ${r.error.message}`);
    } else roundTrip(r.message, as4, Buffer.from(b).toString('hex'));
    try {
      fastPath(b, as4);
    } catch (err) {
      assert.ok(err instanceof BgpError, `fast path threw ${String(err)} on ${Buffer.from(b).toString('hex')}`);
    }
  }
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
  fc.assert(fc.property(mutation(SEEDS), (m) => check(mutate(SEEDS, m))), { numRuns: RUNS });
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
