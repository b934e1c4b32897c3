// The logger the WAL and snapshot code report to: recoveries (a torn tail
// cut off, a stale lock taken over, a broken .snap set aside) are logged, not
// silent. The default is the daemons' JSON-line logger on stderr.
import { jsonLogger } from '../common/log.js';

export interface WalLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export const stderrLogger: WalLogger = jsonLogger({ base: { component: 'wal' } });
