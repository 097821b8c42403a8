import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actualTargets, configuredTargets, desiredTargets, exportTargets, sameTargets, targetRefs } from './ri-refs.js';
import type { VirtualNetwork } from '../vnc/schema.js';

const vn = (extra: Partial<VirtualNetwork>): VirtualNetwork => ({ uuid: 'u', fq_name: ['d', 'p', 'a'], ...extra });

test('configured lists: route_target_list is both, a target in import and export lists is both', () => {
  const c = configuredTargets(
    vn({
      route_target_list: { route_target: ['target:1:1'] },
      import_route_target_list: { route_target: ['target:1:2', 'target:1:3', 'target:1:1'] },
      export_route_target_list: { route_target: ['target:1:3', 'target:1:4'] },
    }),
  );
  assert.deepEqual([...c.both].sort(), ['target:1:1', 'target:1:3']);
  assert.deepEqual([...c.imports], ['target:1:2']);
  assert.deepEqual([...c.exports], ['target:1:4']);
});

test('desired targets: own both, lists as configured, connected exports imported (export+import → both)', () => {
  const a = vn({ import_route_target_list: { route_target: ['target:1:2'] }, export_route_target_list: { route_target: ['target:1:9'] } });
  const m = desiredTargets(a, 'target:64512:8000001', [['target:64512:8000002', 'target:1:9'], ['target:64512:8000003']]);
  assert.deepEqual(targetRefs(m), [
    { to: ['target:1:2'], attr: { import_export: 'import' } },
    { to: ['target:1:9'], attr: { import_export: null } },
    { to: ['target:64512:8000001'], attr: { import_export: null } },
    { to: ['target:64512:8000002'], attr: { import_export: 'import' } },
    { to: ['target:64512:8000003'], attr: { import_export: 'import' } },
  ]);
  assert.deepEqual(exportTargets(a, 'target:64512:8000001'), ['target:1:9', 'target:64512:8000001']);
});

test('stored refs read back: null, missing and empty attrs mean both', () => {
  const m = actualTargets([
    { to: ['target:1:1'], uuid: 'x', attr: null },
    { to: ['target:1:2'], uuid: 'y', attr: { import_export: 'import' } },
    { to: ['target:1:3'], uuid: 'z', attr: {} },
  ]);
  assert.ok(sameTargets(m, new Map([['target:1:1', 'both'], ['target:1:2', 'import'], ['target:1:3', 'both']])));
  assert.ok(!sameTargets(m, new Map([['target:1:1', 'both'], ['target:1:2', 'export'], ['target:1:3', 'both']])));
});
