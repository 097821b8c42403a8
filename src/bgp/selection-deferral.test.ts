import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fsm/clock.js';
import { SelectionDeferral } from './selection-deferral.js';
import type { Family } from './wire/constants.js';
import type { PeerGracefulRestart } from './fsm/session.js';

const GR: PeerGracefulRestart = { restarting: false, restartTime: 120, families: new Map() };

function setup(o: { time?: number; peerWait?: number } = {}) {
  const clock = new FakeClock();
  const done: string[] = [];
  const d = new SelectionDeferral({
    families: ['inet', 'inet-vpn', 'route-target', 'e-vpn'], time: o.time ?? 300, peerWait: o.peerWait ?? 10, clock,
    onDone: (f, why) => done.push(`${f}:${why}`),
  });
  return { d, clock, done };
}
const FAMS: Family[] = ['inet-vpn', 'route-target'];

test('route-target ends first, once every expected peer has sent its End-of-RIB; the VPN family after', () => {
  const { d, done } = setup();
  d.expect('a');
  d.expect('b');
  d.start();
  d.established('a', FAMS, GR);
  d.endOfRib('a', 'route-target');
  d.endOfRib('a', 'inet-vpn'); // early VPN End-of-RIB: still waits for route-target
  assert.deepEqual(done, []);
  assert.deepEqual(d.status().waitingFor, [{ peer: 'b', families: ['route-target', 'inet', 'inet-vpn', 'e-vpn'] }]);
  d.established('b', FAMS, GR);
  d.endOfRib('b', 'route-target');
  // families b does not carry end with route-target
  assert.deepEqual(done, ['route-target:end-of-rib', 'inet:end-of-rib', 'e-vpn:end-of-rib']);
  assert.ok(d.deferred('inet-vpn'));
  d.endOfRib('b', 'inet-vpn');
  assert.deepEqual(done.at(-1), 'inet-vpn:end-of-rib');
  assert.equal(d.active, false);
  assert.equal(d.status().families.length, 0);
});

test('peers without graceful restart or restarting themselves are not waited for', () => {
  const { d, done } = setup();
  for (const p of ['a', 'b', 'c']) d.expect(p);
  d.start();
  d.established('a', FAMS, undefined);
  d.established('b', FAMS, { ...GR, restarting: true });
  d.forget('c');
  assert.deepEqual(done, ['route-target:end-of-rib', 'inet:end-of-rib', 'inet-vpn:end-of-rib', 'e-vpn:end-of-rib']);
});

test('a peer that has not come back stops counting after peerWait; the deferral timer ends everything', () => {
  const { d, clock, done } = setup({ peerWait: 10, time: 60 });
  d.expect('dead');
  d.expect('slow');
  d.start();
  d.established('slow', FAMS, GR);
  clock.advance(10_000);
  assert.deepEqual(done, [], 'an established peer is still waited for');
  d.endOfRib('slow', 'route-target');
  assert.deepEqual(done, ['route-target:end-of-rib', 'inet:end-of-rib', 'e-vpn:end-of-rib']);
  clock.advance(50_000);
  assert.deepEqual(done.at(-1), 'inet-vpn:timer');
  assert.equal(d.active, false);
  assert.equal(clock.pending, 0, 'timers cancelled');
});
