// The logger the WAL and snapshot code report to: recoveries (a torn tail
// cut off, a stale lock taken over, a broken .snap set aside) are logged, not
// silent. The default writes one JSON line per event to stderr.

export interface WalLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

function line(level: string, msg: string, fields?: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

export const stderrLogger: WalLogger = {
  info: (msg, fields) => line('info', msg, fields),
  warn: (msg, fields) => line('warn', msg, fields),
};
