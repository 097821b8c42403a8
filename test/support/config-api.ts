// A real config API for tests: temp SQLite file, port 0, a VncClient, and close() that removes
// everything. `const api = await startTestConfigApi(); … after(() => api.close())`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConfigApi, type ConfigApiOptions, type RunningConfigApi } from '../../src/config/server.js';
import { VncClient } from '../../src/vnc/client.js';

export interface TestConfigApi extends RunningConfigApi {
  readonly client: VncClient;
  readonly dir: string;
}

export async function startTestConfigApi(opts: ConfigApiOptions = {}): Promise<TestConfigApi> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-config-api-'));
  const api = await startConfigApi({ store: `sqlite://${join(dir, 'config.db')}`, port: 0, ...opts });
  const client = new VncClient({ url: api.url, adminToken: opts.adminToken, retries: 2, retryBaseMs: 20 });
  return {
    ...api,
    url: api.url,
    port: api.port,
    service: api.service,
    store: api.store,
    client,
    dir,
    async close() {
      client.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
