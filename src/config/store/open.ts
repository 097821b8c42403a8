// Store URLs: sqlite://<path> (default ./tf-data/config.db; sqlite://:memory: for throwaway
// stores) and etcd://host:port[,host:port…][/namespace/].
import { BadRequestError } from '../../common/errors.js';
import { EtcdStore } from './etcd/etcd-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { KvStore } from './types.js';

export const DEFAULT_STORE_URL = 'sqlite://./tf-data/config.db';

export type StoreSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'etcd'; endpoints: string[]; namespace: string };

export function parseStoreUrl(url: string): StoreSpec {
  const m = /^(sqlite|etcd):\/\/(.*)$/.exec(url);
  if (!m) throw new BadRequestError(`store must be sqlite://<path> or etcd://host:port[,host:port][/namespace/], got ${JSON.stringify(url)}`);
  if (m[1] === 'sqlite') {
    if (!m[2]) throw new BadRequestError('sqlite:// needs a file path, e.g. sqlite://./tf-data/config.db');
    return { kind: 'sqlite', path: m[2] };
  }
  const slash = m[2].indexOf('/');
  const hosts = slash >= 0 ? m[2].slice(0, slash) : m[2];
  let namespace = slash >= 0 ? m[2].slice(slash) : '/tungsten/';
  if (!namespace.endsWith('/')) namespace += '/';
  const endpoints = hosts.split(',').filter(Boolean);
  if (endpoints.length === 0 || !endpoints.every((e) => /^[\w.-]+:\d+$/.test(e))) {
    throw new BadRequestError(`etcd:// needs host:port endpoints, got ${JSON.stringify(hosts)}`);
  }
  return { kind: 'etcd', endpoints, namespace };
}

export function openStore(url: string): KvStore {
  const spec = parseStoreUrl(url);
  return spec.kind === 'sqlite' ? new SqliteStore({ path: spec.path }) : new EtcdStore({ endpoints: spec.endpoints, namespace: spec.namespace });
}
