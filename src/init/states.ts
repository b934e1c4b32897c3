// Unit states, named exactly as systemd 252 names them (systemctl --state=help),
// and the service exit rules (systemd.service(5) Restart=, SuccessExitStatus=).
import type { RestartPolicy, ServiceSettings } from '../units/index.js';

export type ActiveState = 'active' | 'reloading' | 'inactive' | 'failed' | 'activating' | 'deactivating';

export type ServiceSubState =
  | 'dead' | 'condition' | 'start-pre' | 'start' | 'start-post' | 'running' | 'exited' | 'reload'
  | 'stop' | 'stop-watchdog' | 'stop-sigterm' | 'stop-sigkill' | 'stop-post' | 'failed' | 'auto-restart';

export type TargetSubState = 'dead' | 'active';
export type TimerSubState = 'dead' | 'waiting' | 'running' | 'elapsed' | 'failed';
export type SocketSubState = 'dead' | 'start-pre' | 'listening' | 'running' | 'failed';
export type SubState = ServiceSubState | TargetSubState | TimerSubState | SocketSubState;

/** A service's Result= property (service_result_to_string()). */
export type ServiceResult =
  | 'success' | 'protocol' | 'resources' | 'timeout' | 'exit-code' | 'signal' | 'core-dump' | 'watchdog'
  | 'start-limit-hit' | 'exec-condition';

/** Job results as systemctl reports them (job_result_to_string()). */
export type JobResult = 'done' | 'canceled' | 'timeout' | 'failed' | 'dependency' | 'skipped' | 'invalid' | 'assert' | 'unsupported';
export type JobType = 'start' | 'stop' | 'restart' | 'reload';

/** service_state_table[]: the ActiveState each service SubState maps to. */
export function serviceActiveState(sub: ServiceSubState): ActiveState {
  switch (sub) {
    case 'dead': return 'inactive';
    case 'failed': return 'failed';
    case 'condition': case 'start-pre': case 'start': case 'start-post': case 'auto-restart': return 'activating';
    case 'running': case 'exited': return 'active';
    case 'reload': return 'reloading';
    case 'stop': case 'stop-watchdog': case 'stop-sigterm': case 'stop-sigkill': case 'stop-post': return 'deactivating';
  }
}

/** How a process ended: CLD_EXITED with a code or CLD_KILLED/CLD_DUMPED with a signal. */
export type ExitInfo = { code: 'exited'; status: number } | { code: 'killed' | 'dumped'; status: number };

/** Signals that count as a clean exit for non-oneshot services (is_clean_exit()). */
const CLEAN_SIGNALS = new Set([1, 2, 13, 15]);

/** Whether an exit is clean for this service, as is_clean_exit() decides. */
export function isCleanExit(exit: ExitInfo, svc: Pick<ServiceSettings, 'type' | 'successExitStatus'>): boolean {
  if (exit.code === 'exited') return exit.status === 0 || svc.successExitStatus.codes.includes(exit.status);
  if (exit.code === 'killed' && svc.type !== 'oneshot' && CLEAN_SIGNALS.has(exit.status)) return true;
  return svc.successExitStatus.signals.includes(exit.status);
}

/** The Result a process exit gives the service (success when clean). */
export function resultOfExit(exit: ExitInfo, svc: Pick<ServiceSettings, 'type' | 'successExitStatus'>): ServiceResult {
  if (isCleanExit(exit, svc)) return 'success';
  if (exit.code === 'exited') return 'exit-code';
  return exit.code === 'dumped' ? 'core-dump' : 'signal';
}

/**
 * service_shall_restart(): the table of systemd.service(5) for Restart=, with
 * RestartPreventExitStatus= overriding it. `exit` is the main process's exit,
 * if it had one.
 */
export function shallRestart(
  policy: RestartPolicy,
  result: ServiceResult,
  exit: ExitInfo | null,
  prevent: ServiceSettings['restartPreventExitStatus'],
  force: ServiceSettings['restartForceExitStatus'] = { codes: [], signals: [] },
): boolean {
  if (result === 'start-limit-hit' || result === 'exec-condition') return false;
  const inSet = (set: ServiceSettings['restartPreventExitStatus']): boolean =>
    exit !== null && (exit.code === 'exited' ? set.codes.includes(exit.status) : set.signals.includes(exit.status));
  if (inSet(prevent)) return false;
  // RestartForceExitStatus= restarts whatever Restart= says (Restart=no included).
  if (inSet(force)) return true;
  switch (policy) {
    case 'no': return false;
    case 'always': return true;
    case 'on-success': return result === 'success';
    case 'on-failure': return result !== 'success';
    case 'on-abnormal': return result === 'signal' || result === 'core-dump' || result === 'timeout' || result === 'watchdog';
    case 'on-abort': return result === 'signal' || result === 'core-dump';
    case 'on-watchdog': return result === 'watchdog';
  }
}

/** The systemd exit-status names systemctl status prints ("status=203/EXEC"). */
export const SYSTEMD_EXIT_NAMES: Readonly<Record<number, string>> = {
  0: 'SUCCESS', 1: 'FAILURE', 2: 'INVALIDARGUMENT', 3: 'NOTIMPLEMENTED', 4: 'NOPERMISSION', 5: 'NOTINSTALLED',
  6: 'NOTCONFIGURED', 7: 'NOTRUNNING', 200: 'CHDIR', 203: 'EXEC', 209: 'STDOUT', 216: 'GROUP', 217: 'USER',
  229: 'SOCKET',
};

/** Exit codes of the executor itself (exit-status.h). */
export const EXIT_CHDIR = 200;
export const EXIT_EXEC = 203;
export const EXIT_GROUP = 216;
export const EXIT_USER = 217;
