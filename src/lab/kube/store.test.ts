import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ObjectStore } from './store.js';
import { sqlitePersistence } from './persist.js';
import type { KubeObject } from './types.js';

const obj = (name: string, uid: string, owners: string[] = []): KubeObject => ({
  metadata: { name, namespace: 'ns', uid, ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'X', name: o, uid: o })) },
});

test('revisions increase, objects are frozen, history answers resume and expires', () => {
  const s = new ObjectStore({ historySize: 3 });
  const a = s.commit('pods', 'ADDED', obj('a', 'u1'));
  assert.equal(a.metadata.resourceVersion, '1');
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.metadata));
  s.commit('pods', 'MODIFIED', obj('a', 'u1'));
  s.commit('configmaps', 'ADDED', obj('c', 'u2'));
  const since1 = s.changesSince('pods', 1);
  assert.ok(since1 !== 'expired');
  assert.deepEqual(since1.map((e) => [e.type, e.rv]), [['MODIFIED', 2]]);
  s.commit('pods', 'DELETED', obj('a', 'u1'));
  s.commit('pods', 'ADDED', obj('b', 'u3'));
  assert.equal(s.changesSince('pods', 0), 'expired');
  assert.equal(s.changesSince('pods', 1), 'expired');
  const fromTwo = s.changesSince('pods', 2);
  assert.ok(fromTwo !== 'expired');
  assert.deepEqual(fromTwo.map((e) => e.rv), [4, 5]);
  assert.deepEqual(s.changesSince('pods', 99), []);
  assert.deepEqual(s.list('pods').map((o) => o.metadata.name), ['b']);
});

test('uid and owner indexes follow writes and deletes', () => {
  const s = new ObjectStore();
  s.commit('replicasets', 'ADDED', obj('rs', 'owner'));
  s.commit('pods', 'ADDED', obj('p1', 'd1', ['owner']));
  s.commit('pods', 'ADDED', obj('p2', 'd2', ['owner']));
  assert.deepEqual(s.dependentsOf('owner').map((r) => r.object.metadata.name).sort(), ['p1', 'p2']);
  s.commit('pods', 'MODIFIED', obj('p2', 'd2'));
  assert.deepEqual(s.dependentsOf('owner').map((r) => r.object.metadata.name), ['p1']);
  s.commit('pods', 'DELETED', obj('p1', 'd1', ['owner']));
  assert.deepEqual(s.dependentsOf('owner'), []);
  assert.equal(s.byUid('owner')?.storage, 'replicasets');
});

test('SQLite persistence restores objects and the revision; old resume points expire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-store-'));
  try {
    const path = join(dir, 'kube.db');
    const s1 = new ObjectStore({ persistence: sqlitePersistence(path) });
    s1.commit('pods', 'ADDED', obj('a', 'u1'));
    s1.commit('pods', 'ADDED', obj('b', 'u2'));
    s1.commit('pods', 'DELETED', obj('a', 'u1'));
    s1.close();
    const s2 = new ObjectStore({ persistence: sqlitePersistence(path) });
    assert.equal(s2.rv, 3);
    assert.deepEqual(s2.list('pods').map((o) => o.metadata.name), ['b']);
    assert.equal(s2.byUid('u2')?.object.metadata.name, 'b');
    assert.equal(s2.changesSince('pods', 1), 'expired');
    assert.equal(s2.commit('pods', 'ADDED', obj('c', 'u3')).metadata.resourceVersion, '4');
    s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
