// Seeds and mutations for fuzz tests of the decoders and of the receive path: one well-formed message of
// every kind and family, and the byte-level mutations applied to them. Used only by tests.
import fc from 'fast-check';
import { KEEPALIVE, encodeNotification, encodeOpen, encodeRouteRefresh } from './message.js';
import { encodeEndOfRib, encodeUpdate } from './update.js';

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

export const SEEDS: readonly Uint8Array[] = [
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
];

/** Keeps the header length consistent with the mutated size, so mutations reach the body decoders. */
export function fixLength(b: Uint8Array): Uint8Array {
  if (b.length >= 19 && b.length <= 4096) {
    b[16] = b.length >> 8;
    b[17] = b.length & 255;
  }
  return b;
}

/** A mutation of one of `seeds` (by index). */
export const mutation = (seeds: readonly Uint8Array[]) => fc.record({
  seed: fc.integer({ min: 0, max: seeds.length - 1 }),
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

export interface Mutation {
  seed: number;
  ops: { kind: string; at: number; value?: number; bit?: number; bytes?: Uint8Array }[];
  fix: boolean;
}

export function mutate(seeds: readonly Uint8Array[], m: Mutation): Uint8Array {
  let b = Uint8Array.from(seeds[m.seed]);
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

