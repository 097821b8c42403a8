import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { birdConfig, birdProtocolName, parseBirdProtocols, parseKernelRoutes } from './gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-gateway-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const conf = birdConfig({
  routerId: '10.0.0.1', asn: 64512,
  peers: [{ name: 'control1', address: '10.0.0.11', port: 1179 }, { name: 'control-2', address: '10.0.0.12', port: 1179 }],
});

test('bird.conf: one iBGP protocol per control node on its BGP port, direct next hops, kernel ECMP', () => {
  assert.match(conf, /^router id 10\.0\.0\.1;$/m);
  assert.match(conf, /^protocol bgp bgp_control1 from controlnode \{ neighbor 10\.0\.0\.11 port 1179 as 64512; \}$/m);
  assert.match(conf, /^protocol bgp bgp_control_2 from controlnode \{ neighbor 10\.0\.0\.12 port 1179 as 64512; \}$/m);
  assert.match(conf, /merge paths on;/);
  assert.match(conf, /^ {2}direct;$/m);
  assert.equal(birdProtocolName('1st'), 'bgp_x1st');
});

const bird = ['/usr/sbin/bird', '/usr/bin/bird'].find((p) => existsSync(p));
test('bird2 itself accepts the generated configuration (bird -p)', { skip: bird ? false : 'bird2 is not installed' }, () => {
  const file = join(dir, 'bird.conf');
  writeFileSync(file, conf);
  execFileSync(bird!, ['-p', '-c', file], { stdio: 'pipe' });
});

test('birdc show protocols is parsed (real output of bird 2.0.12, established and not)', () => {
  const text = [
    'BIRD 2.0.12 ready.',
    'Name       Proto      Table      State  Since         Info',
    'device1    Device     ---        up     07:22:59.340  ',
    'kernel4    Kernel     master4    up     07:22:59.340  ',
    'bgp_control1 BGP        ---        up     07:23:02.487  Established   ',
    'bgp_control2 BGP        ---        start  07:23:02.395  Active        Socket: Connection refused',
  ].join('\n');
  assert.deepEqual(parseBirdProtocols(text), [
    { name: 'device1', proto: 'Device', state: 'up', since: '07:22:59.340', info: '' },
    { name: 'kernel4', proto: 'Kernel', state: 'up', since: '07:22:59.340', info: '' },
    { name: 'bgp_control1', proto: 'BGP', state: 'up', since: '07:23:02.487', info: 'Established' },
    { name: 'bgp_control2', proto: 'BGP', state: 'start', since: '07:23:02.395', info: 'Active        Socket: Connection refused' },
  ]);
});

test('kernel routes of bird: single next hop and multipath', () => {
  const json = JSON.stringify([
    { dst: '198.51.100.252', gateway: '10.0.0.101', dev: 'eth0', protocol: 'bird', flags: [] },
    { dst: '198.51.100.251', protocol: 'bird', nexthops: [{ gateway: '10.0.0.101', dev: 'eth0' }, { gateway: '10.0.0.102', dev: 'eth0' }] },
    { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel' },
  ]);
  assert.deepEqual(parseKernelRoutes(json), [
    { prefix: '198.51.100.252/32', nextHops: ['10.0.0.101'] },
    { prefix: '198.51.100.251/32', nextHops: ['10.0.0.101', '10.0.0.102'] },
  ]);
});
