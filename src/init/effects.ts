// What the pure core asks its shell to do, and what the shell tells it back.
// The core never touches processes, files or clocks; each request carries a
// token so a late report about an earlier process is recognised and ignored.
import type { ExecCommand } from '../units/index.js';
import type { ExitInfo, JobResult } from './states.js';

export type ExecStage = 'condition' | 'start-pre' | 'start' | 'start-post' | 'reload' | 'stop' | 'stop-post';

export type Effect =
  /** Run one command for the unit; `main` marks the main process (MAINPID). */
  | {
      kind: 'spawn'; unit: string; token: number; stage: ExecStage; command: ExecCommand; main: boolean; env: Record<string, string>;
      /** For the main process: the socket units whose listening fds it gets (fd 3…, LISTEN_FDS), and an accepted connection. */
      sockets?: string[]; connection?: number;
    }
  /** Send `signal` to the main process, the running control process, or every process of the unit. */
  | { kind: 'kill'; unit: string; who: 'main' | 'control' | 'all'; signal: number }
  /** Report `empty` once the unit has no process left (at once if it has none). */
  | { kind: 'watch-empty'; unit: string; token: number }
  /**
   * Report `timer` after `usec`; a unit has at most one timer per slot (the
   * state timeout, or the watchdog), a new one replaces it.
   */
  | { kind: 'timer'; unit: string; token: number; usec: number; slot?: 'watchdog' }
  | { kind: 'cancel-timer'; unit: string; slot?: 'watchdog' }
  /** A line for the journal, as the init itself says it. */
  | { kind: 'log'; unit: string; message: string }
  /** The unit's state changed (for the stream of state changes). */
  | { kind: 'changed'; unit: string }
  /** Persistent= timer: record the wall-clock time of its last trigger. */
  | { kind: 'timer-stamp'; unit: string; usec: number }
  /** Socket units: open the unit's listening sockets (the shell reports socket-opened or socket-failed). */
  | { kind: 'socket-open'; unit: string; token: number }
  /** Report socket-ready once when a connection or datagram waits (on), or stop watching (off). */
  | { kind: 'socket-watch'; unit: string; on: boolean }
  /** Close the unit's listening sockets. */
  | { kind: 'socket-close'; unit: string }
  /** Accept=yes: accept one connection; the shell reports socket-accepted (or nothing if none waits). */
  | { kind: 'socket-accept'; unit: string; token: number }
  /** Close an accepted connection the init still holds (its instance has it, or never ran). */
  | { kind: 'connection-close'; unit: string; connection: number }
  /** A job ended. */
  | { kind: 'job-done'; job: number; unit: string; type: string; result: JobResult };

export type ShellEvent =
  | { kind: 'spawned'; unit: string; token: number; pid: number }
  /** The command could not be run; `status` is systemd's executor exit code (203/EXEC, 200/CHDIR, …). */
  | { kind: 'spawn-failed'; unit: string; token: number; status: number; error: string }
  /** `mainPid`: for a forking start, the pid read from PIDFile= (or guessed) when the parent exited. */
  | { kind: 'exited'; unit: string; token: number; exit: ExitInfo; mainPid?: number | null }
  /** A main process that is not our child (forking) is gone; its status is unknown. */
  | { kind: 'main-gone'; unit: string; pid: number }
  | { kind: 'notify'; unit: string; fields: Record<string, string> }
  | { kind: 'empty'; unit: string; token: number }
  | { kind: 'timer'; unit: string; token: number; slot?: 'watchdog' }
  | { kind: 'socket-opened'; unit: string; token: number }
  | { kind: 'socket-failed'; unit: string; token: number; error: string }
  | { kind: 'socket-ready'; unit: string }
  /** Accept=yes: a connection, held by the shell under `connection`, with its addresses for the instance name. */
  | { kind: 'socket-accepted'; unit: string; token: number; connection: number; local: string; remote: string };
