import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { memoryPair, type Transport } from './transport.js';
import { Session, type SessionConfig, type SessionDown, type Negotiated, type SessionState } from './session.js';
import { KEEPALIVE, assembleUpdate, decodeMessage, encodeNotification, encodeOpen, frameLength, type Message, type Capability } from '../wire/index.js';
import { TurnBudget } from './turn-budget.js';

const settle = () => new Promise<void>((r) => setImmediate(r));

function cfg(over: Partial<SessionConfig> = {}): SessionConfig {
  return {
    localAs: 64512, routerId: '192.0.2.1', peerAs: 64512, peerAddress: '192.0.2.2', peerPort: 179, holdTime: 9,
    connectRetryTime: 5, idleHoldTime: 1, passive: false, families: ['inet-vpn', 'route-target'], ...over,
  };
}

class Recorder {
  established: Negotiated[] = [];
  downs: SessionDown[] = [];
  states: SessionState[] = [];
  messages: number[] = [];
  events = {
    established: (n: Negotiated) => void this.established.push(n),
    down: (d: SessionDown) => void this.downs.push(d),
    message: (type: number) => void this.messages.push(type),
    stateChange: (_f: SessionState, to: SessionState) => void this.states.push(to),
  };
}

/** The far end played by the test: collects decoded messages, sends what it is told. */
class RawPeer {
  got: Message[] = [];
  closed = false;
  #buf = new Uint8Array(0);
  constructor(readonly t: Transport) {
    t.setHandlers({
      data: (c) => {
        const b = new Uint8Array(this.#buf.length + c.length);
        b.set(this.#buf);
        b.set(c, this.#buf.length);
        let off = 0;
        for (;;) {
          const len = frameLength(b, off, b.length - off);
          if (!len || len > b.length - off) break;
          const r = decodeMessage(b.subarray(off, off + len));
          assert.ok(r.ok);
          this.got.push(r.message);
          off += len;
        }
        this.#buf = b.slice(off);
      },
      close: () => void (this.closed = true),
      drain: () => {},
    });
  }
  open(over: { asn?: number; holdTime?: number; routerId?: string; capabilities?: Capability[] } = {}): void {
    this.t.write(encodeOpen({
      asn: over.asn ?? 64512, holdTime: over.holdTime ?? 9, routerId: over.routerId ?? '192.0.2.2',
      capabilities: over.capabilities ?? [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'four-octet-as', asn: over.asn ?? 64512 }],
    }));
  }
  types(): string[] {
    return this.got.map((m) => m.type);
  }
}

/** A session whose outgoing connections land at a RawPeer. */
function withRawPeer(over: Partial<SessionConfig> = {}) {
  const clock = new FakeClock();
  const rec = new Recorder();
  const peers: RawPeer[] = [];
  const s = new Session(cfg(over), {
    clock,
    events: rec.events,
    connect: async () => {
      const [a, b] = memoryPair();
      peers.push(new RawPeer(b));
      return a;
    },
  });
  return { clock, rec, peers, s };
}

test('establishes against a peer: OPEN, KEEPALIVE, negotiated families and hold time', async () => {
  const { rec, peers, s } = withRawPeer();
  s.start();
  await settle();
  const p = peers[0];
  assert.deepEqual(p.types(), ['open']);
  const open = p.got[0];
  assert.ok(open.type === 'open');
  assert.deepEqual(open.capabilities.filter((c) => c.kind === 'multiprotocol').length, 2);
  p.open({ holdTime: 30 });
  await settle();
  assert.equal(s.state, 'OpenConfirm');
  p.t.write(KEEPALIVE);
  await settle();
  assert.equal(s.state, 'Established');
  assert.deepEqual(rec.established[0].families, ['inet-vpn']);
  assert.equal(rec.established[0].holdTime, 9);
  assert.equal(rec.established[0].keepaliveTime, 3);
  assert.deepEqual(rec.states, ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
});

async function established(over: Partial<SessionConfig> = {}, peerCaps?: Capability[]) {
  const env = withRawPeer(over);
  env.s.start();
  await settle();
  env.peers[0].open(peerCaps ? { capabilities: peerCaps } : {});
  env.peers[0].t.write(KEEPALIVE);
  await settle();
  assert.equal(env.s.state, 'Established');
  return env;
}

test('keepalives every hold/3 and the hold timer fires on silence (hold time 3 s)', async () => {
  const { clock, rec, peers } = await established({ holdTime: 3 });
  const p = peers[0];
  const before = p.types().filter((t) => t === 'keepalive').length;
  clock.advance(1000);
  await settle();
  assert.equal(p.types().filter((t) => t === 'keepalive').length, before + 1);
  clock.advance(2000);
  await settle();
  assert.equal(rec.downs.length, 1);
  assert.equal(rec.downs[0].reason, 'hold-timer');
  assert.equal(rec.downs[0].graceful, false);
  const last = p.got.at(-1);
  assert.ok(last?.type === 'notification' && last.code === 4);
});

test('traffic from the peer keeps the session up', async () => {
  const { clock, rec, peers } = await established({ holdTime: 3 });
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    peers[0].t.write(KEEPALIVE);
    await settle();
  }
  assert.equal(rec.downs.length, 0);
});

test('OPEN errors: bad peer AS and unacceptable hold time get the right NOTIFICATION', async () => {
  for (const [open, sub] of [[{ asn: 65000 }, 2], [{ holdTime: 2 }, 6], [{ routerId: '192.0.2.1' }, 3]] as const) {
    const { peers, s, rec } = withRawPeer();
    s.start();
    await settle();
    peers[0].open(open);
    await settle();
    const n = peers[0].got.at(-1);
    assert.ok(n?.type === 'notification' && n.code === 2 && n.subcode === sub, JSON.stringify(open));
    assert.equal(rec.established.length, 0);
    assert.equal(s.state, 'Idle');
    assert.match(s.lastError ?? '', /OPEN Message Error/);
    s.stop();
  }
});

test('a hold time below 3 s is refused at configuration', () => {
  assert.throws(() => new Session(cfg({ holdTime: 2 }), { clock: new FakeClock(), events: new Recorder().events }), /hold time/);
});

test('connect failures retry after the connect-retry time', async () => {
  const clock = new FakeClock();
  let attempts = 0;
  const rec = new Recorder();
  const s = new Session(cfg(), { clock, events: rec.events, connect: async () => { attempts++; throw new Error('refused'); } });
  s.start();
  await settle();
  assert.equal(s.state, 'Active');
  assert.equal(attempts, 1);
  clock.advance(4999);
  await settle();
  assert.equal(attempts, 1);
  clock.advance(1);
  await settle();
  assert.equal(attempts, 2);
  assert.match(s.lastError ?? '', /refused/);
  s.stop();
});

test('a NOTIFICATION from the peer ends the session without graceful restart; it starts again after idle hold', async () => {
  const grCaps: Capability[] = [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 60, families: [{ afi: 1, safi: 128, forwarding: true }] }];
  const { clock, rec, peers, s } = await established({}, grCaps);
  peers[0].t.write(encodeNotification(6, 4));
  await settle();
  assert.equal(rec.downs[0].reason, 'notification-received');
  assert.equal(rec.downs[0].graceful, false);
  assert.equal(s.state, 'Idle');
  clock.advance(1000);
  await settle();
  assert.equal(peers.length, 2);
  s.stop();
});

test('a lost connection to a graceful-restart peer is graceful', async () => {
  const grCaps: Capability[] = [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 60, families: [{ afi: 1, safi: 128, forwarding: true }] }];
  const { rec, peers, s } = await established({}, grCaps);
  assert.equal(rec.established[0].peerGracefulRestart?.restartTime, 60);
  assert.equal(rec.established[0].peerGracefulRestart?.families.get('inet-vpn'), true);
  peers[0].t.destroy();
  await settle();
  assert.equal(rec.downs[0].reason, 'transport');
  assert.equal(rec.downs[0].graceful, true);
  s.stop();
});

test('stop sends Cease/Administrative Shutdown and stays Idle', async () => {
  const { clock, rec, peers, s } = await established();
  s.stop(2, 'maintenance');
  await settle();
  const n = peers[0].got.at(-1);
  assert.ok(n?.type === 'notification' && n.code === 6 && n.subcode === 2);
  assert.equal(rec.downs[0].reason, 'stopped');
  clock.advance(60_000);
  await settle();
  assert.equal(peers.length, 1);
  assert.equal(s.state, 'Idle');
});

test('UPDATE before Established is an FSM error; UPDATE in Established is handed up', async () => {
  const { rec, peers } = await established();
  const upd = Uint8Array.from([...new Uint8Array(16).fill(0xff), 0, 23, 2, 0, 0, 0, 0]);
  peers[0].t.write(upd);
  await settle();
  assert.deepEqual(rec.messages, [2]);
  const env = withRawPeer();
  env.s.start();
  await settle();
  env.peers[0].t.write(upd);
  await settle();
  const n = env.peers[0].got.at(-1);
  assert.ok(n?.type === 'notification' && n.code === 5);
});

test('two speakers connecting to each other at once end with one connection (collision detection)', async () => {
  const clock = new FakeClock();
  const recA = new Recorder();
  const recB = new Recorder();
  const sessions: Session[] = [];
  const link = (to: () => Session, fromAddr: string, toAddr: string) => async () => {
    const [x, y] = memoryPair({ address: fromAddr, port: 40000 }, { address: toAddr, port: 179 });
    to().accept(y);
    return x;
  };
  const a = new Session(cfg(), { clock, events: recA.events, connect: link(() => sessions[1], '192.0.2.1', '192.0.2.2') });
  const b = new Session(cfg({ routerId: '192.0.2.2', peerAddress: '192.0.2.1' }), { clock, events: recB.events, connect: link(() => sessions[0], '192.0.2.2', '192.0.2.1') });
  sessions.push(a, b);
  a.start();
  b.start();
  // Either the collision is resolved during OpenConfirm, or one side got Established first and the loser
  // connection tears it down once; after the idle hold both must settle on one connection for good.
  for (let round = 0; round < 5; round++) {
    clock.advance(2000);
    for (let i = 0; i < 10; i++) await settle();
  }
  assert.equal(a.state, 'Established');
  assert.equal(b.state, 'Established');
  const downs = recA.downs.length + recB.downs.length;
  assert.ok(downs <= 2, `at most one tear-down per side, got ${downs}`);
  for (let i = 0; i < 60; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.equal(recA.downs.length + recB.downs.length, downs, 'stable once settled');
  // both ends sit on the same connection: one side's remote port is the other's listening port
  assert.deepEqual([a.negotiated?.remotePort, b.negotiated?.remotePort].sort(), [179, 40000]);
  a.stop();
  b.stop();
});

test('a restarted graceful-restart peer replaces its dead connection (RFC 4724 §4.2)', async () => {
  const clock = new FakeClock();
  const rec = new Recorder();
  const s = new Session(cfg({ passive: true }), { clock, events: rec.events });
  s.start();
  const grCaps: Capability[] = [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 30, families: [{ afi: 1, safi: 128, forwarding: true }] }];
  const connectPeer = async () => {
    const [x, y] = memoryPair();
    s.accept(x);
    const p = new RawPeer(y);
    p.open({ capabilities: grCaps });
    p.t.write(KEEPALIVE);
    await settle();
    return p;
  };
  await connectPeer();
  assert.equal(s.state, 'Established');
  await connectPeer();
  assert.equal(rec.downs.length, 1);
  assert.equal(rec.downs[0].reason, 'peer-restarted');
  assert.equal(rec.downs[0].graceful, true);
  assert.equal(rec.established.length, 2);
  assert.equal(s.state, 'Established');
  s.stop();
});

test('reset with a hold keeps the session Idle (max-prefix), then starts again', async () => {
  const { clock, rec, peers, s } = await established();
  s.reset(6, 1, new Uint8Array(0), 'too many prefixes', 10_000);
  await settle();
  assert.equal(rec.downs[0].reason, 'notification-sent');
  clock.advance(5000);
  await settle();
  assert.equal(peers.length, 1);
  clock.advance(5000);
  await settle();
  assert.equal(peers.length, 2);
  s.stop();
});

/** An established session on a clock whose defer() waits for runDeferred(), with its own input budget. */
async function establishedManual(holdTime = 3) {
  const clock = new FakeClock({ manualDefer: true });
  let budgetNow = 0;
  const turns: (() => void)[] = [];
  const budget = new TurnBudget({ budgetMs: 20, now: () => budgetNow, defer: (fn) => turns.push(fn) });
  const rec = new Recorder();
  const peers: RawPeer[] = [];
  const s = new Session(cfg({ holdTime }), {
    clock, events: rec.events, budget,
    connect: async () => {
      const [a, b] = memoryPair();
      peers.push(new RawPeer(b));
      return a;
    },
  });
  s.start();
  await settle();
  peers[0].open();
  peers[0].t.write(KEEPALIVE);
  await settle();
  for (const t of turns.splice(0)) t();
  assert.equal(s.state, 'Established');
  return { clock, rec, p: peers[0], s, turns, advanceBudget: (ms: number) => (budgetNow += ms) };
}

test('a hold timer that fires while input waits to be read is judged after the input is read', async () => {
  const { clock, rec, p } = await establishedManual(3);
  clock.advance(3000); // the timer is due; the KEEPALIVE the peer sent is still in the socket
  assert.equal(rec.downs.length, 0, 'no verdict before pending input is read');
  p.t.write(KEEPALIVE);
  await settle();
  clock.runDeferred();
  assert.equal(rec.downs.length, 0, 'the peer was alive');
  clock.advance(3000);
  clock.runDeferred();
  assert.equal(rec.downs.length, 1, 'silence for the hold time still ends the session');
  assert.equal(rec.downs[0].reason, 'hold-timer');
});

test('input past the turn budget is handled in a later turn, in order, and counts as heard for the hold timer', async () => {
  const { clock, rec, p, turns, advanceBudget } = await establishedManual(3);
  const eor = assembleUpdate({});
  p.t.write(eor);
  await settle();
  assert.equal(rec.messages.length, 1, 'handled at once while the turn has budget');
  advanceBudget(25);
  p.t.write(eor);
  p.t.write(eor);
  await settle();
  assert.equal(rec.messages.length, 1, 'queued: this turn spent its budget');
  clock.advance(3000);
  clock.runDeferred();
  assert.equal(rec.downs.length, 0, 'queued input means the peer is alive');
  for (const t of turns.splice(0)) t();
  assert.equal(rec.messages.length, 3, 'handled in the next turn');
});

test('sendAll writes several messages at once and counts each', async () => {
  const { p, s } = await establishedManual(9);
  const before = s.sent[2];
  assert.equal(s.sendAll([assembleUpdate({}), assembleUpdate({}), KEEPALIVE]), true);
  await settle();
  assert.equal(s.sent[2], before + 2);
  assert.deepEqual(p.types().slice(-3), ['update', 'update', 'keepalive']);
});
