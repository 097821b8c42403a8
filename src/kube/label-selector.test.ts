import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from './errors.js';
import { matchesSelector, validateSelector } from './label-selector.js';

test('matchLabels and every matchExpressions operator, as the apiserver defines them', () => {
  const l = { app: 'web', tier: 'front' };
  assert.equal(matchesSelector({}, l), true, 'empty selects all');
  assert.equal(matchesSelector(undefined, l), false, 'absent selects nothing');
  assert.equal(matchesSelector({ matchLabels: { app: 'web' } }, l), true);
  assert.equal(matchesSelector({ matchLabels: { app: 'web', tier: 'back' } }, l), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, l), true, 'In keeps every value, not only the last');
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, l), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db', 'cache'] }] }, l), true);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['cache', 'web'] }] }, l), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, l), true, 'NotIn matches a missing key');
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, l), true);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, l), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, l), true);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, l), false);
  assert.equal(matchesSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, l), false, 'AND of both');
});

test('invalid selectors are input errors', () => {
  for (const sel of [
    { matchExpressions: [{ key: 'a', operator: 'Matches', values: ['x'] }] },
    { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
    { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
    { matchExpressions: [{ key: '', operator: 'Exists' }] },
  ]) {
    assert.throws(() => validateSelector(sel, 'spec.podSelector'), (e: unknown) => e instanceof InputError && e.code === 'KM_INVALID_SELECTOR');
  }
  validateSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, 'ok');
});
