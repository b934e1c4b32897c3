// Signal numbers ↔ names, from the units module's table (Linux numbering).
import { SIGNALS } from '../units/index.js';

const BY_NUMBER = new Map<number, string>(Object.entries(SIGNALS).map(([name, n]) => [n, name]));

/** "SIGTERM" for 15; "SIGRTMIN+n" / the number for others. */
export function signalName(n: number): string {
  return BY_NUMBER.get(n) ?? (n >= 34 && n <= 64 ? `SIGRTMIN+${n - 34}` : String(n));
}

/** Node's name for a signal number, for process.kill(). */
export function nodeSignal(n: number): NodeJS.Signals | number {
  const name = BY_NUMBER.get(n);
  return name && name !== 'SIGSTKFLT' ? (name as NodeJS.Signals) : n;
}
