// Structured JSON logging (pino) to stderr. TF_LOG_LEVEL sets the level (default info; tests run silent).
import { pino, destination, type Logger } from 'pino';

export type { Logger };

const root: Logger = pino(
  { level: process.env.TF_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
  destination({ dest: 2, sync: true }),
);

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}
