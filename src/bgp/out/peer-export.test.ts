// The per-peer export against a real table, a scripted host and a manually driven scheduler: what goes
// out is the difference between the table now and what was sent, in bounded steps, never more than the
// socket takes, and a removed destination is withdrawn by its own key even when its id is reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../common/log.js';
import { AttrPool } from '../rib/attr-pool.js';
import { LOCAL_SOURCE, SourceRegistry } from '../rib/sources.js';
import { RouteTable } from '../rib/table.js';
import { decodeMessage, encodeAttributes, encodeMpNextHop, formatNlri, type Nlri, type PathAttributes } from '../wire/index.js';
import type { AttrGroup } from './packer.js';
import { PeerExport, groupTouched } from './peer-export.js';
import { ExportScheduler } from './scheduler.js';

interface Sent {
  announced: string[];
  withdrawn: string[];
  eor: boolean;
}

function setup() {
  const pool = new AttrPool();
  const sources = new SourceRegistry({ routerId: '192.0.2.254', asn: 64512 });
  const peer = sources.add({ kind: 'ibgp', name: 'p', address: '192.0.2.9', routerId: '192.0.2.9', asn: 64512, rrClient: true });
  const t = new RouteTable({ name: 'bgp.l3vpn.0', family: 'inet-vpn', pool, sources, autoFlush: false });
  const tables = new Map([['inet-vpn' as const, t]]);
  const deferred: (() => void)[] = [];
  const scheduler = new ExportScheduler({ defer: (fn) => deferred.push(fn), sliceMs: 1e9 });
  const groups = new Map<PathAttributes, AttrGroup>();
  let writable = true;
  const sent: Sent[] = [];
  const faults: unknown[] = [];
  const exp = new PeerExport({
    tables, pool, sources, sourceId: peer.id, log: createLogger('test'),
    group: (_f, _src, attrs) => {
      if (attrs.localPref === 1) return undefined; // "the peer does not want these"
      let g = groups.get(attrs);
      if (!g) {
        g = { id: groups.size + 1, attrs: encodeAttributes(attrs, { as4: true, nextHopAttribute: false }), nextHop: encodeMpNextHop('inet-vpn', attrs.nextHop ?? '192.0.2.254') };
        groups.set(attrs, g);
      }
      return g;
    },
    send: (msgs) => {
      for (const msg of msgs) {
        const r = decodeMessage(msg, { as4: true });
        assert.ok(r.ok && r.message.type === 'update');
        const u = r.message;
        sent.push({ announced: u.announced.map((a) => `${formatNlri(a.nlri)}#${a.labels.join('.')}`), withdrawn: u.withdrawn.map((w) => formatNlri(w)), eor: u.endOfRib !== undefined });
      }
      return writable;
    },
    fault: (err) => faults.push(err),
  }, scheduler);
  t.subscribeIds((ids) => exp.touched('inet-vpn', t, groupTouched(t, ids)));
  exp.open();
  /** Runs scheduler slices until nothing is deferred (or n slices). */
  const run = (n = Infinity): void => {
    for (let i = 0; i < n && deferred.length; i++) deferred.shift()!();
  };
  const announced = () => sent.flatMap((s) => s.announced);
  const withdrawn = () => sent.flatMap((s) => s.withdrawn);
  return { t, exp, scheduler, sent, run, announced, withdrawn, setWritable: (w: boolean) => (writable = w), deferred, faults };
}

const vpn = (prefix: string): Nlri => ({ family: 'inet-vpn', rd: '64512:1', prefix });
const attrs = (x: Partial<PathAttributes> = {}): PathAttributes => ({ origin: 'igp', asPath: [], nextHop: '192.0.2.1', ...x });

test('the initial pass sends every route once, then End-of-RIB; a second pass in sync sends nothing', () => {
  const { t, exp, sent, run, announced } = setup();
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [5] });
  t.upsert(vpn('10.0.0.2/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [6] });
  t.flush();
  exp.scan('inet-vpn', { eor: true });
  run();
  assert.deepEqual(announced().sort(), ['64512:1:10.0.0.1/32#5', '64512:1:10.0.0.2/32#6']);
  assert.equal(sent.at(-1)?.eor, true);
  assert.equal(sent.filter((s) => s.eor).length, 1);
  assert.equal(exp.sent('inet-vpn'), 2);
  assert.ok(exp.inSync);
  const before = sent.length;
  exp.scan('inet-vpn');
  run();
  assert.equal(sent.length, before, 'nothing changed, nothing sent');
  exp.scan('inet-vpn', { force: true });
  run();
  assert.deepEqual(announced().slice(2).sort(), ['64512:1:10.0.0.1/32#5', '64512:1:10.0.0.2/32#6'], 'ROUTE-REFRESH re-sends');
});

test('level-triggered: only the state at send time goes out; a route added and removed before then costs nothing', () => {
  const { t, exp, sent, run, announced } = setup();
  exp.scan('inet-vpn', { eor: true });
  run();
  sent.length = 0;
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [5] });
  t.flush();
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs({ localPref: 300 }), labels: [7] });
  t.flush();
  t.upsert(vpn('10.0.0.3/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [8] });
  t.flush();
  t.withdraw(vpn('10.0.0.3/32'), LOCAL_SOURCE);
  t.flush();
  assert.equal(exp.inSync, false);
  run();
  assert.deepEqual(announced(), ['64512:1:10.0.0.1/32#7']);
  assert.deepEqual(sent.flatMap((s) => s.withdrawn), []);
  assert.ok(exp.inSync);
});

test('a removed destination is withdrawn by its own key, before a new destination that took its id is announced', () => {
  const { t, exp, sent, run } = setup();
  exp.scan('inet-vpn', { eor: true });
  run();
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [5] });
  t.flush();
  run();
  sent.length = 0;
  t.withdraw(vpn('10.0.0.1/32'), LOCAL_SOURCE);
  t.flush(); // id freed here
  t.upsert(vpn('10.0.0.2/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [6] });
  t.flush();
  assert.equal(t.idLimit, 1, 'the new destination took the id of the removed one');
  run();
  assert.deepEqual(sent.map((s) => [s.withdrawn, s.announced]), [[['64512:1:10.0.0.1/32'], []], [[], ['64512:1:10.0.0.2/32#6']]]);
  assert.equal(exp.sent('inet-vpn'), 1);
});

test('routes the peer does not want are not sent, and a sent route that becomes unwanted is withdrawn', () => {
  const { t, exp, run, announced, withdrawn } = setup();
  exp.scan('inet-vpn', { eor: true });
  run();
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs({ localPref: 1 }), labels: [5] });
  t.upsert(vpn('10.0.0.2/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [6] });
  t.flush();
  run();
  assert.deepEqual(announced(), ['64512:1:10.0.0.2/32#6']);
  t.upsert(vpn('10.0.0.2/32'), { source: LOCAL_SOURCE, attrs: attrs({ localPref: 1 }), labels: [6] });
  t.flush();
  run();
  assert.deepEqual(withdrawn(), ['64512:1:10.0.0.2/32']);
  assert.equal(exp.sent('inet-vpn'), 0);
});

test('steps are bounded and stop while the socket asks for a pause', () => {
  const { t, exp, run, announced, setWritable, scheduler } = setup();
  for (let i = 0; i < 3000; i++) t.upsert(vpn(`10.${i >> 8}.${i & 255}.1/32`), { source: LOCAL_SOURCE, attrs: attrs(), labels: [16] });
  t.flush();
  exp.scan('inet-vpn', { eor: true });
  assert.equal(exp.step(), 'more', 'one step does not send 3000 routes');
  const first = announced().length;
  assert.ok(first > 0 && first <= 512, `${first} routes in one step`);
  setWritable(false);
  exp.step(); // the first write that is refused ends the step
  const paused = announced().length;
  assert.equal(exp.step(), 'idle', 'no step while paused');
  assert.equal(announced().length, paused);
  setWritable(true);
  exp.drained();
  run();
  assert.equal(announced().length, 3000);
  assert.equal(new Set(announced()).size, 3000);
  assert.ok(scheduler.slices >= 1);
  assert.ok(exp.inSync);
});

test('the scheduler runs jobs round-robin and yields between slices', () => {
  const deferred: (() => void)[] = [];
  let now = 0;
  const s = new ExportScheduler({ defer: (fn) => deferred.push(fn), now: () => now, sliceMs: 5 });
  const log: string[] = [];
  const job = (name: string, steps: number) => ({
    step(): 'more' | 'idle' {
      log.push(name);
      now += 2;
      return --steps > 0 ? 'more' : 'idle';
    },
  });
  s.wake(job('a', 3));
  s.wake(job('b', 2));
  assert.equal(deferred.length, 1, 'one slice scheduled');
  deferred.shift()!();
  assert.deepEqual(log, ['a', 'b', 'a'], 'a slice ends when its time is used up');
  assert.equal(deferred.length, 1, 'the rest in a later turn');
  deferred.shift()!();
  assert.deepEqual(log, ['a', 'b', 'a', 'b', 'a']);
  assert.equal(s.pending, 0);
  assert.equal(deferred.length, 0);
  const c = job('c', 5);
  s.wake(c);
  s.cancel(c);
  deferred.shift()?.();
  assert.equal(log.at(-1), 'a', 'a cancelled job gets no step');
});

test('a failing step resets the session instead of leaving Adj-RIB-Out unknown', () => {
  const { t, exp, faults, sent } = setup();
  t.upsert(vpn('10.0.0.1/32'), { source: LOCAL_SOURCE, attrs: attrs(), labels: [5] });
  t.flush();
  exp.scan('inet-vpn', { eor: true });
  const broken = t.bestLabelAt.bind(t);
  t.bestLabelAt = () => {
    throw new Error('boom');
  };
  assert.equal(exp.step(), 'idle');
  t.bestLabelAt = broken;
  assert.equal(faults.length, 1);
  assert.deepEqual(sent, []);
  assert.equal(exp.sent('inet-vpn'), 0);
  assert.ok(exp.inSync, 'closed: nothing pending');
});

test('one attribute set in two families goes out with each family\'s encoding', () => {
  const pool = new AttrPool();
  const sources = new SourceRegistry({ routerId: '192.0.2.254', asn: 64512 });
  const peer = sources.add({ kind: 'ibgp', name: 'p', address: '192.0.2.9', routerId: '192.0.2.9', asn: 64512, rrClient: true });
  const inet = new RouteTable({ name: 'inet.0', family: 'inet', pool, sources, autoFlush: false });
  const vpnT = new RouteTable({ name: 'bgp.l3vpn.0', family: 'inet-vpn', pool, sources, autoFlush: false });
  const deferred: (() => void)[] = [];
  const got: { nextHop: string | undefined; prefixes: string[] }[] = [];
  const exp = new PeerExport({
    tables: new Map([['inet', inet], ['inet-vpn', vpnT]] as const), pool, sources, sourceId: peer.id, log: createLogger('test'),
    group: (f, _src, a) => f === 'inet'
      ? { id: 1, attrs: encodeAttributes(a, { as4: true, nextHopAttribute: true }), nextHop: new Uint8Array(0) }
      : { id: 2, attrs: encodeAttributes(a, { as4: true, nextHopAttribute: false }), nextHop: encodeMpNextHop(f, a.nextHop!) },
    send: (msgs) => {
      for (const m of msgs) {
        const r = decodeMessage(m, { as4: true });
        assert.ok(r.ok && r.message.type === 'update');
        if (r.message.announced.length) got.push({ nextHop: r.message.attrs?.nextHop, prefixes: r.message.announced.map((x) => formatNlri(x.nlri)) });
      }
      return true;
    },
    fault: (err) => assert.fail(String(err)),
  }, new ExportScheduler({ defer: (fn) => deferred.push(fn) }));
  exp.open();
  const shared = attrs({ nextHop: '192.0.2.7' });
  inet.upsert({ family: 'inet', prefix: '198.51.100.7/32' }, { source: LOCAL_SOURCE, attrs: shared });
  vpnT.upsert(vpn('198.51.100.7/32'), { source: LOCAL_SOURCE, attrs: shared, labels: [9] });
  inet.flush();
  vpnT.flush();
  assert.equal(inet.bestAttrIdAt(0), vpnT.bestAttrIdAt(0), 'one interned attribute set');
  exp.scan('inet', { eor: true });
  exp.scan('inet-vpn', { eor: true });
  while (deferred.length) deferred.shift()!();
  assert.deepEqual(got, [{ nextHop: '192.0.2.7', prefixes: ['198.51.100.7/32'] }, { nextHop: '192.0.2.7', prefixes: ['64512:1:198.51.100.7/32'] }]);
});
