import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UpdateReceiver, type InboundContext } from './inbound.js';
import { AttrPool } from './rib/attr-pool.js';
import { SourceRegistry } from './rib/sources.js';
import { RouteTable } from './rib/table.js';
import { BgpError, FAMILIES, encodeUpdate, encodeEndOfRib, type Family, type PathAttributes } from './wire/index.js';
import { SEEDS, mutate, mutation } from './wire/fuzz-corpus.js';

function env(kind: 'ibgp' | 'ebgp' = 'ibgp') {
  const pool = new AttrPool();
  const sources = new SourceRegistry();
  const src = sources.add({ kind, name: 'p', address: '192.0.2.2', asn: kind === 'ibgp' ? 64512 : 65000, rrClient: false });
  const tables = new Map<Family, RouteTable>(FAMILIES.map((f) => [f, new RouteTable({ name: f, family: f, pool, sources, autoFlush: false })]));
  const rtc: string[] = [];
  const ctx: InboundContext = {
    tables, pool, me: { asn: 64512, routerId: '192.0.2.1', clusterId: '192.0.2.1' }, source: src.id, kind,
    families: new Set(FAMILIES), as4: true, onRtc: (k, added) => rtc.push(`${added ? '+' : '-'}${k.length}`),
  };
  return { ctx, tables, pool, rtc, rx: new UpdateReceiver() };
}
const base: PathAttributes = { origin: 'igp', asPath: [], nextHop: '192.0.2.2' };
const apply = (e: ReturnType<typeof env>, b: Uint8Array) => e.rx.apply(b, 0, b.length, e.ctx);

test('routes of every family land in their tables; one attribute set is shared', () => {
  const e = env();
  apply(e, encodeUpdate({ announced: [1, 2, 3].map((i) => ({ nlri: { family: 'inet-vpn' as const, rd: `64512:${i}`, prefix: '10.0.0.0/24' }, labels: [i] })), attrs: base }, { as4: true }));
  apply(e, encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.9.0.0/16' }, labels: [] }], attrs: base }, { as4: true }));
  const r = apply(e, encodeUpdate({ announced: [{ nlri: { family: 'route-target', originAs: 64512, routeTarget: 'target:64512:1', prefixLen: 96 }, labels: [] }], attrs: base }, { as4: true }));
  assert.deepEqual([...r.touched], ['route-target']);
  assert.equal(e.tables.get('inet-vpn')!.size, 3);
  assert.equal(e.tables.get('inet')!.size, 1);
  assert.deepEqual(e.rtc, ['+13']);
  assert.equal(e.pool.size, 1, 'equal attributes share one set, whether NEXT_HOP or MP next hop carried them');
  assert.equal(apply(e, encodeEndOfRib('inet-vpn')).endOfRib, 'inet-vpn');
  apply(e, encodeUpdate({ withdrawn: [{ family: 'route-target', originAs: 64512, routeTarget: 'target:64512:1', prefixLen: 96 }] }, { as4: true }));
  assert.deepEqual(e.rtc, ['+13', '-13']);
});

test('loops are dropped: our AS from an eBGP peer, our router id or cluster id from an iBGP peer', () => {
  const x = env('ebgp');
  const r = apply(x, encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }], attrs: { ...base, asPath: [{ type: 'sequence', asns: [65000, 64512] }] } }, { as4: true }));
  assert.equal(r.looped, true);
  assert.equal(x.tables.get('inet')!.size, 0);
  const i = env('ibgp');
  apply(i, encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }], attrs: { ...base, originatorId: '192.0.2.1' } }, { as4: true }));
  apply(i, encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.1.0.0/16' }, labels: [] }], attrs: { ...base, clusterList: ['10.0.0.1', '192.0.2.1'] } }, { as4: true }));
  assert.equal(i.tables.get('inet')!.size, 0);
});

test('families not negotiated with the peer are ignored', () => {
  const e = env();
  const ctx = { ...e.ctx, families: new Set<Family>(['inet']) };
  const b = encodeUpdate({ announced: [{ nlri: { family: 'inet-vpn', rd: '1:1', prefix: '10.0.0.0/24' }, labels: [1] }], attrs: base }, { as4: true });
  assert.equal(e.rx.apply(b, 0, b.length, ctx).touched.size, 0);
  assert.equal(e.tables.get('inet-vpn')!.size, 0);
});

test('fuzz: mutated UPDATEs either apply or throw a session-reset BgpError; tables stay consistent', () => {
  const e = env();
  fc.assert(
    fc.property(mutation(SEEDS), (m) => {
      const b = mutate(SEEDS, m);
      if (b.length < 23 || b[18] !== 2) return;
      const len = (b[16] << 8) | b[17];
      if (len !== b.length) return;
      try {
        apply(e, b);
      } catch (err) {
        assert.ok(err instanceof BgpError, `non-BgpError ${String(err)} for ${Buffer.from(b).toString('hex')}`);
        assert.equal(err.action, 'session-reset');
      }
      for (const t of e.tables.values()) {
        let paths = 0;
        for (const r of t.routes()) {
          paths += r.paths.length;
          for (const p of r.paths) assert.ok(p.attrs.origin);
        }
        assert.equal(paths, t.pathCount);
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 1500) },
  );
});
