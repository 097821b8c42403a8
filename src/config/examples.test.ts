// The config object examples (examples/config/*.yaml) create cleanly, in order, on a fresh API,
// and the server fills in what the comments promise.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startTestConfigApi } from '../../test/support/config-api.js';

const dir = fileURLToPath(new URL('../../examples/config/', import.meta.url));

test('examples/config create in order and get their server-assigned fields', async () => {
  const api = await startTestConfigApi();
  try {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as Record<string, Record<string, unknown>>;
      const [type] = Object.keys(doc);
      await assert.doesNotReject(api.client.create(type, doc[type]), file);
    }
    const vn = await api.client.readByFqName('virtual-network', ['default-domain', 'kubernetes', 'cluster-network']);
    const svc = vn.network_ipam_refs?.find((r) => r.to[2] === 'service-ipam')?.attr?.ipam_subnets?.[0];
    assert.equal(svc?.default_gateway, '10.167.255.254');
    assert.equal(svc?.dns_server_address, '10.167.255.253');
    assert.equal(vn.routing_instances?.[0].to.join(':'), 'default-domain:kubernetes:cluster-network:cluster-network');
    const gw = await api.client.readByFqName('bgp-router', ['default-domain', 'default-project', 'ip-fabric', '__default__', 'gateway']);
    assert.equal(gw.bgp_router_refs?.[0].to[4], 'control-1');
  } finally {
    await api.close();
  }
});
