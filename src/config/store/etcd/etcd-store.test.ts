import { after, before } from 'node:test';
import { etcdSkipReason, startEtcd, type RunningEtcd } from '../../../../test/support/etcd.js';
import { runStoreContract } from '../contract.js';
import { EtcdStore } from './etcd-store.js';

const skip = etcdSkipReason();
let etcd: RunningEtcd | undefined;
let n = 0;
before(async () => {
  if (!skip) etcd = await startEtcd();
});
after(() => etcd?.stop());

runStoreContract({
  name: 'etcd',
  skip,
  open: async () => new EtcdStore({ endpoints: [etcd!.endpoint], namespace: `/contract-${process.pid}-${n++}/` }),
});
