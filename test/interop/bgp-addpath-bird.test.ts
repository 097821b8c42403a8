// ADD-PATH (RFC 7911) toward bird2: with `add paths rx` on its ipv4 channel bird2 offers to receive path
// identifiers; our speaker, configured to send them for inet, advertises every path of a prefix's ECMP set
// under its own identifier and withdraws one path alone. (A peer that does not offer to receive gets the
// best path alone: src/control/control-node.test.ts, external networks.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsEnv, eventually, missing, rootSkip, type Daemon } from '../support/bgp-netns.js';
import { Speaker } from '../../src/bgp/speaker.js';

const skip = rootSkip || missing('bird', 'birdc');
let env: NetnsEnv;
let speaker: Speaker;
let bird: Daemon | undefined;
let sock: string;
const PREFIX = { family: 'inet' as const, prefix: '10.90.0.0/24' };

const birdc = (...args: string[]) => env.exec(['birdc', '-s', sock, ...args]);
/** next hops of bird2's routes for the prefix learned from one protocol */
function hops(proto: string): string[] {
  let text: string;
  try {
    text = birdc('show', 'route', '10.90.0.0/24', 'protocol', proto, 'all');
  } catch (err) {
    if (/Network not found/.test(String((err as { stdout?: unknown }).stdout ?? err))) return [];
    throw err;
  }
  return [...text.matchAll(/BGP\.next_hop: (\S+)/g)].map((m) => m[1]).sort();
}

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('bap');
  const conf = join(env.dir, 'bird.conf');
  sock = join(env.dir, 'bird.ctl');
  // the paths' next hops (10.99.0.1, .2) resolve through a static route toward us
  writeFileSync(conf, `router id ${env.nsAddr};
protocol device {}
protocol static nh { ipv4; route 10.99.0.0/24 via ${env.hostAddr}; }
protocol bgp addpath {
  local ${env.nsAddr} port 179 as 64512;
  neighbor ${env.hostAddr} as 64512;
  passive on;
  ipv4 { import all; export none; add paths rx; };
}
`);
  bird = env.spawn(['bird', '-f', '-c', conf, '-s', sock, '-P', join(env.dir, 'bird.pid')]);
  await eventually(() => /addpath/.test(birdc('show', 'protocols')), 'bird2 up');
  speaker = new Speaker({ asn: 64512, routerId: env.hostAddr, listen: false, holdTime: 30, connectRetryTime: 1, idleHoldTime: 1, maxPaths: { inet: 8 } });
  speaker.originate({ nlri: PREFIX, pathId: 1, attrs: { nextHop: '10.99.0.1' } });
  speaker.originate({ nlri: PREFIX, pathId: 2, attrs: { nextHop: '10.99.0.2' } });
  speaker.addPeer({ address: env.nsAddr, port: 179, asn: 64512, localAddress: env.hostAddr, families: ['inet'], addPathSend: ['inet'] });
  await speaker.start();
  await eventually(() => speaker.peer(env.nsAddr)?.state === 'Established', 'ADD-PATH session with bird2', 30_000);
});

after(async () => {
  if (skip) return;
  await speaker?.stop();
  if (bird) await env.kill(bird, 'SIGTERM');
  await env?.destroy();
});

test('every ECMP path of a prefix reaches bird2 under its own path identifier', { skip }, async () => {
  assert.deepEqual(speaker.peer(env.nsAddr)?.negotiatedFamilies, ['inet']);
  await eventually(() => hops('addpath').length === 2, 'two paths in bird2');
  assert.deepEqual(hops('addpath'), ['10.99.0.1', '10.99.0.2']);
  assert.equal(speaker.peer(env.nsAddr)?.prefixes.inet?.out, 2);
});

test('one path withdrawn alone; a new one added', { skip }, async () => {
  speaker.withdraw(PREFIX, 1);
  await eventually(() => hops('addpath').join() === '10.99.0.2', 'path .1 withdrawn in bird2');
  speaker.originate({ nlri: PREFIX, pathId: 3, attrs: { nextHop: '10.99.0.3' } });
  await eventually(() => hops('addpath').join() === '10.99.0.2,10.99.0.3', 'path .3 added in bird2');
  speaker.withdraw(PREFIX, 2);
  speaker.withdraw(PREFIX, 3);
  await eventually(() => hops('addpath').length === 0, 'prefix gone in bird2');
});
