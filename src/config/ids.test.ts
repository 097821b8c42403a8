import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUuid, macFromUuid, timestamp, uuidHalves } from './ids.js';

test('id_perms uuid halves match the seed (pod-ipam c9641741-c785-456e-845b-a14a253c3572)', () => {
  assert.deepEqual(uuidHalves('c9641741-c785-456e-845b-a14a253c3572'), {
    uuid_mslong: '14511749470582293870',
    uuid_lslong: '9537393975711511922',
  });
});

test('VMI MAC is 02 plus the first five bytes of the uuid, as in the seed', () => {
  assert.equal(macFromUuid('5a1fc03e-f7ab-11e7-8f66-52540065dced'), '02:5a:1f:c0:3e:f7');
  assert.equal(macFromUuid('20c27603-2d0f-45f5-9647-defe4adaba9a'), '02:20:c2:76:03:2d');
});

test('timestamps have microseconds and strictly increase', () => {
  const a = timestamp();
  const b = timestamp();
  assert.match(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.ok(b > a);
  assert.equal(isUuid('5a1fc03e-f7ab-11e7-8f66-52540065dced'), true);
  assert.equal(isUuid('5A1FC03E-F7AB-11E7-8F66-52540065DCED'), false);
});
