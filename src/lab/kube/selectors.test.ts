import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from './errors.js';
import { fromLabelSelector, fromMapSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, selectorToString } from './selectors.js';

test('label selector grammar: equality, sets, existence, numeric', () => {
  const s = parseLabelSelector('app=web, tier in (fe, be),!legacy,env!=prod,version>3,track');
  assert.deepEqual(
    s.requirements.map((r) => [r.key, r.op, r.values]),
    [
      ['app', 'Equals', ['web']],
      ['tier', 'In', ['fe', 'be']],
      ['legacy', 'DoesNotExist', []],
      ['env', 'NotEquals', ['prod']],
      ['version', 'Gt', ['3']],
      ['track', 'Exists', []],
    ],
  );
  assert.equal(matchesLabels(s, { app: 'web', tier: 'fe', version: '4', track: 'x' }), true);
  assert.equal(matchesLabels(s, { app: 'web', tier: 'fe', version: '3', track: 'x' }), false);
  assert.equal(matchesLabels(s, { app: 'web', tier: 'fe', version: '4', track: 'x', legacy: '' }), false);
  assert.equal(matchesLabels(s, { app: 'web', tier: 'fe', version: '4', track: 'x', env: 'prod' }), false);
  assert.equal(matchesLabels(parseLabelSelector('a==b'), { a: 'b' }), true);
  assert.equal(matchesLabels(parseLabelSelector('x notin (1,2)'), {}), true);
  assert.equal(matchesLabels(parseLabelSelector(''), undefined), true);
});

test('label selector errors are BadRequest', () => {
  for (const bad of ['a=b,', 'a in ()', 'a>x', '-bad=1', 'a=b c']) {
    assert.throws(() => parseLabelSelector(bad), (e: unknown) => e instanceof KubeApiError && e.code === 'BadRequest' && e.status === 400, bad);
  }
});

test('LabelSelector objects and map selectors', () => {
  const s = fromLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['x', 'y'] }, { key: 'd', operator: 'DoesNotExist' }] });
  assert.equal(selectorToString(s), 'a=1,b=2,c in (x,y),!d');
  assert.equal(matchesLabels(s, { a: '1', b: '2', c: 'y' }), true);
  assert.equal(matchesLabels(fromLabelSelector(null), { a: '1' }), false, 'null selector matches nothing');
  assert.equal(matchesLabels(fromLabelSelector({}), { a: '1' }), true, 'empty selector matches everything');
  assert.equal(matchesLabels(fromMapSelector({}), { a: '1' }), false, 'empty map selector matches nothing');
  assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), KubeApiError);
});

test('field selectors: allowed fields, escapes, != and missing fields', () => {
  const reqs = parseFieldSelector('spec.nodeName=n1,metadata.name!=x\\,y', ['metadata.name', 'spec.nodeName']);
  assert.deepEqual(reqs, [
    { field: 'spec.nodeName', op: 'Equals', value: 'n1' },
    { field: 'metadata.name', op: 'NotEquals', value: 'x,y' },
  ]);
  assert.equal(matchesFields(reqs, { metadata: { name: 'p' }, spec: { nodeName: 'n1' } }), true);
  assert.equal(matchesFields(reqs, { metadata: { name: 'x,y' }, spec: { nodeName: 'n1' } }), false);
  assert.equal(matchesFields(parseFieldSelector('spec.nodeName=', ['spec.nodeName']), { spec: {} }), true, 'a missing field is ""');
  assert.throws(() => parseFieldSelector('spec.foo=1', ['metadata.name']), /field label not supported: spec.foo/);
});
