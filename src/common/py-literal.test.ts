import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyLiteralError, parsePyLiteral, parsePyStringDict } from './py-literal.js';

test('parses the config files dict options', () => {
  assert.deepEqual(parsePyStringDict("{'domain': 'default-domain', 'project': 'default', 'network': 'public', 'name': 'public-fip-pool'}"), {
    domain: 'default-domain',
    project: 'default',
    network: 'public',
    name: 'public-fip-pool',
  });
  assert.deepEqual(parsePyStringDict('{}'), {});
  assert.deepEqual(parsePyStringDict(' { "a" : "b" , } '), { a: 'b' });
});

test('parses every literal kind', () => {
  assert.deepEqual(parsePyLiteral("[1, -2.5, 0x1f, True, False, None, ('t', u'u'), r'\\d', 'it\\'s', \"\\x41\\n\"]"), [
    1,
    -2.5,
    31,
    true,
    false,
    null,
    ['t', 'u'],
    '\\d',
    "it's",
    'A\n',
  ]);
  assert.deepEqual(parsePyLiteral("{'nested': {'k': [1, 2]}, 3: 'x'} # trailing comment"), { nested: { k: [1, 2] }, '3': 'x' });
  assert.equal(parsePyLiteral("'''multi\nline'''"), 'multi\nline');
});

test('rejects anything that is not a literal, with the offset', () => {
  for (const bad of ["{'a': 'b'", "{'a' 'b'}", "__import__('os')", "{'a': 'b'} extra", "'unterminated", '', '{1: }', "{'a': [1, 2}"]) {
    assert.throws(() => parsePyLiteral(bad), (e: unknown) => e instanceof PyLiteralError && e.code === 'PY_LITERAL_INVALID', bad);
  }
  assert.throws(() => parsePyStringDict("['not', 'a', 'dict']"), /expected a dict/);
  assert.throws(() => parsePyStringDict("{'a': 1}"), /must be a string/);
});
