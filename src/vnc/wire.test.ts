import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWire, stringifyWire } from './wire.js';

test('uuid_mslong/lslong travel as exact JSON integers and come back as exact strings', () => {
  const obj = { id_perms: { uuid: { uuid_mslong: '14511749470582293870', uuid_lslong: '9537393975711511922' } }, name: 'x' };
  const text = stringifyWire(obj);
  assert.match(text, /"uuid_mslong":14511749470582293870/);
  assert.deepEqual(parseWire(text), obj);
  const tricky = { description: 'say "uuid_mslong":"1" here' };
  assert.deepEqual(parseWire(stringifyWire(tricky)), tricky);
});
