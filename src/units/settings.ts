// Typed settings: turns the parsed files of one unit (fragment, then
// drop-ins) into the values the init acts on, with systemd's validation and
// wording (load-fragment.c and service.c/socket.c/timer.c of v252; messages
// checked against `systemd-analyze verify` 252). Rules:
//  - an unknown key warns and is ignored; keys starting with `X-`, and `X-`
//    sections, are left alone for their consumers;
//  - a bad value is reported as an error (systemd 252 logs most of these at
//    warning level; coracle calls every rejected value an error) and that
//    assignment is ignored, except where systemd refuses the whole unit (it
//    then stops reading, and the unit gets LoadState `bad-setting`);
//  - after reading, the per-type checks (a service needs ExecStart=, …) run.
// Specifiers are expanded per setting, as systemd does, via the expander.

import type { Diagnostic } from './diagnostics.js';
import { parseCalendar, type CalendarSpec } from './calendar.js';
import { SYSTEMD_DIRECTIVES } from './directives.js';
import { isValidEnvName, parseExecLine, type ExecCommand } from './exec.js';
import { parseUnitName, type UnitType } from './names.js';
import type { SpecifierExpander } from './specifiers.js';
import type { Assignment, Section, UnitFile } from './syntax.js';
import { parseBoolean, parseTimespan, USEC_PER_SEC } from './timespan.js';
import { parseExitStatus, parseMode, parseSignal, parseSocketAddress, type SocketAddress } from './values.js';
import { extractWord } from './words.js';

export const CONDITION_KINDS = [
  'PathExists', 'PathExistsGlob', 'PathIsDirectory', 'PathIsSymbolicLink', 'PathIsMountPoint',
  'PathIsReadWrite', 'DirectoryNotEmpty', 'FileNotEmpty', 'FileIsExecutable', 'Host', 'Virtualization',
  'KernelCommandLine', 'Environment',
] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];
const PATH_CONDITIONS: ReadonlySet<string> = new Set([
  'PathExists', 'PathExistsGlob', 'PathIsDirectory', 'PathIsSymbolicLink', 'PathIsMountPoint',
  'PathIsReadWrite', 'DirectoryNotEmpty', 'FileNotEmpty', 'FileIsExecutable',
]);

export interface Condition {
  kind: ConditionKind;
  /** `|`: triggering; satisfied if any triggering condition holds. */
  trigger: boolean;
  /** `!`: the check is inverted. */
  negate: boolean;
  parameter: string;
  file: string;
  line: number;
}

export interface UnitSectionSettings {
  description: string;
  documentation: string[];
  requires: string[];
  wants: string[];
  requisite: string[];
  bindsTo: string[];
  partOf: string[];
  conflicts: string[];
  after: string[];
  before: string[];
  conditions: Condition[];
  asserts: Condition[];
  defaultDependencies: boolean;
  startLimitIntervalUsec: number;
  startLimitBurst: number;
  stopWhenUnneeded: boolean;
  refuseManualStart: boolean;
  refuseManualStop: boolean;
}

export const SERVICE_TYPES = ['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'idle'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
export const RESTART_POLICIES = ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export const KILL_MODES = ['control-group', 'process', 'mixed', 'none'] as const;
export type KillMode = (typeof KILL_MODES)[number];
export const NOTIFY_ACCESS = ['none', 'main', 'exec', 'all'] as const;
export type NotifyAccess = (typeof NOTIFY_ACCESS)[number];

export interface ExitStatusSet {
  codes: number[];
  signals: number[];
}

export type OutputTarget =
  | { kind: 'inherit' | 'null' | 'tty' | 'journal' | 'kmsg' | 'journal+console' | 'kmsg+console' | 'socket' }
  | { kind: 'file' | 'append' | 'truncate'; path: string }
  | { kind: 'fd'; name: string };

export interface EnvironmentFileRef {
  path: string;
  /** `-` prefix: a missing file is not an error. */
  optional: boolean;
}

export interface ServiceSettings {
  /** As written; null when not set (see `type` for the effective one). */
  typeSetting: ServiceType | null;
  /** Effective type: Type=, else simple with ExecStart=, else oneshot (dbus with BusName=). */
  type: ServiceType;
  busName: string | null;
  /** ExecCondition=: exit 1–254 skips the unit, 255 or a signal fails it. */
  execCondition: ExecCommand[];
  execStartPre: ExecCommand[];
  execStart: ExecCommand[];
  execStartPost: ExecCommand[];
  execReload: ExecCommand[];
  execStop: ExecCommand[];
  execStopPost: ExecCommand[];
  remainAfterExit: boolean;
  restart: RestartPolicy;
  restartUsec: number;
  /** Effective start timeout (infinity for oneshot unless set). */
  timeoutStartUsec: number;
  timeoutStopUsec: number;
  killMode: KillMode;
  killSignal: number;
  sendSIGKILL: boolean;
  successExitStatus: ExitStatusSet;
  restartPreventExitStatus: ExitStatusSet;
  /** RestartForceExitStatus=: these exits restart the service whatever Restart= says. */
  restartForceExitStatus: ExitStatusSet;
  /** WatchdogSec=: 0 when off. */
  watchdogUsec: number;
  /** Environment= assignments in effect, in order; a later one for the same name wins. */
  environment: Record<string, string>;
  environmentFiles: EnvironmentFileRef[];
  /** Absolute path, `~` for the user's home, or null. */
  workingDirectory: string | null;
  workingDirectoryMissingOk: boolean;
  user: string | null;
  group: string | null;
  pidFile: string | null;
  notifyAccess: NotifyAccess;
  standardOutput: OutputTarget;
  standardError: OutputTarget;
  sockets: string[];
}

export type BindIPv6Only = 'default' | 'both' | 'ipv6-only';

export interface SocketListen {
  kind: 'stream' | 'datagram';
  address: SocketAddress;
  /** As written, for display (`systemctl status` shows it). */
  text: string;
}

export interface SocketSettings {
  listen: SocketListen[];
  accept: boolean;
  service: string | null;
  socketMode: number;
  bindIPv6Only: BindIPv6Only;
  /** FileDescriptorName=: the name in LISTEN_FDNAMES (default: the socket unit's name). */
  fileDescriptorName: string | null;
  backlog: number;
  /** RemoveOnStop=: unlink the socket files when the socket stops. */
  removeOnStop: boolean;
  /** TriggerLimitIntervalSec=/TriggerLimitBurst= (defaults 2 s and 20, 200 with Accept=yes). */
  triggerLimitIntervalUsec: number;
  triggerLimitBurst: number | null;
}

export interface TimerSettings {
  onCalendar: CalendarSpec[];
  onBootUsec: number[];
  onStartupUsec: number[];
  onActiveUsec: number[];
  onUnitActiveUsec: number[];
  onUnitInactiveUsec: number[];
  persistent: boolean;
  accuracyUsec: number;
  randomizedDelayUsec: number;
  /** Unit to activate; defaults to the timer's name with `.service`. */
  unit: string;
}

export interface InstallSettings {
  wantedBy: string[];
  requiredBy: string[];
  alias: string[];
  also: string[];
  defaultInstance: string | null;
}

export interface XFleetOption {
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface UnitSettings {
  unit: UnitSectionSettings;
  service: ServiceSettings | null;
  socket: SocketSettings | null;
  timer: TimerSettings | null;
  install: InstallSettings;
  /** `[X-Fleet]` assignments in order, for fleet to interpret. */
  xFleet: XFleetOption[];
  /** Other `X-` sections, verbatim. */
  extensionSections: Section[];
  /** Keys systemd knows that coracle does not act on (no warning, kept for display). */
  notInterpreted: Assignment[];
}

export interface InterpretResult {
  settings: UnitSettings;
  /** Every problem in the unit's files (syntax and settings), in the order systemd reports them. */
  diagnostics: Diagnostic[];
  /** `bad-setting` when systemd refuses the unit; `error` when a file could not be read (invalid section header). */
  loadState: 'loaded' | 'bad-setting' | 'error';
}

// --- Helpers ---------------------------------------------------------------

type Outcome = void | 'fatal';

/** State while reading one unit's files. */
interface Ctx {
  unitName: string;
  expand: SpecifierExpander;
  diags: Diagnostic[];
  s: UnitSettings;
  startTimeoutSet: boolean;
  /** A timer's Unit= has been set. */
  triggerSet: boolean;
  /** Unit-wide notes raised while reading a line: the line, to keep them in reading order. */
  noteLines: Map<Diagnostic, number>;
}

function warn(c: Ctx, a: Assignment, message: string): void {
  c.diags.push({ severity: 'warning', file: a.file, line: a.line, message });
}
function err(c: Ctx, a: Assignment, message: string): void {
  c.diags.push({ severity: 'error', file: a.file, line: a.line, message });
}

function enumParser<T extends string>(values: readonly T[], what: string, set: (c: Ctx, v: T) => void) {
  return (c: Ctx, a: Assignment): Outcome => {
    if ((values as readonly string[]).includes(a.value)) set(c, a.value as T);
    else err(c, a, `Failed to parse ${what}, ignoring: ${a.value}`);
  };
}

function boolParser(set: (c: Ctx, v: boolean) => void) {
  return (c: Ctx, a: Assignment): Outcome => {
    const b = parseBoolean(a.value);
    if (b === null) err(c, a, `Failed to parse boolean value, ignoring: ${a.value}`);
    else set(c, b);
  };
}

function secParser(set: (c: Ctx, v: number) => void) {
  return (c: Ctx, a: Assignment): Outcome => {
    const v = parseTimespan(a.value);
    if (v === null) err(c, a, `Failed to parse sec value, ignoring: ${a.value}`);
    else set(c, v);
  };
}

/** Timeout*Sec=: "0" means no timeout, like "infinity". */
function timeoutParser(set: (c: Ctx, v: number, key: string) => void) {
  return (c: Ctx, a: Assignment): Outcome => {
    const v = parseTimespan(a.value);
    if (v === null) err(c, a, `Failed to parse ${a.key}= parameter, ignoring: ${a.value}`);
    else set(c, v === 0 ? Infinity : v, a.key);
  };
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

function simplifyPath(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return '/' + parts.join('/');
}

/** Self-dependencies systemd drops with a notice; for the other kinds it drops them silently. */
const NOTED_SELF_DEPENDENCIES = new Set(['Conflicts', 'After', 'Before']);

/** Dependency lists: unit names separated by whitespace; specifiers allowed; never reset. */
function depsParser(pick: (u: UnitSectionSettings) => string[]) {
  return (c: Ctx, a: Assignment): Outcome => {
    let rest = a.value;
    for (;;) {
      const r = extractWord(rest, {});
      if (!r.ok) {
        err(c, a, `Invalid syntax, ignoring: ${a.value}`);
        return;
      }
      if (r.word === null) return;
      rest = r.rest;
      const e = c.expand(r.word);
      if (!e.ok) {
        err(c, a, `Failed to resolve unit specifiers in '${r.word}', ignoring: ${e.error}`);
        continue;
      }
      if (!parseUnitName(e.value)) {
        err(c, a, `Failed to add dependency on ${e.value}, ignoring: Invalid argument`);
        continue;
      }
      if (e.value === c.unitName) {
        if (NOTED_SELF_DEPENDENCIES.has(a.key)) {
          const note: Diagnostic = { severity: 'warning', file: a.file, line: 0, unit: c.unitName, message: `Dependency ${a.key}=${e.value} is dropped.` };
          c.diags.push(note);
          c.noteLines.set(note, a.line);
        }
        continue;
      }
      const list = pick(c.s.unit);
      if (!list.includes(e.value)) list.push(e.value);
    }
  };
}

/** Condition*= and Assert*=: `[|][!]value`; an empty value resets every condition (or assert). */
function conditionParser(kind: ConditionKind, assert: boolean) {
  return (c: Ctx, a: Assignment): Outcome => {
    const list = assert ? c.s.unit.asserts : c.s.unit.conditions;
    if (a.value === '') {
      list.length = 0;
      return;
    }
    let v = a.value;
    const trigger = v.startsWith('|');
    if (trigger) v = v.slice(1).trimStart();
    const negate = v.startsWith('!');
    if (negate) v = v.slice(1).trimStart();
    const e = c.expand(v);
    if (!e.ok) {
      err(c, a, `Failed to resolve unit specifiers in ${v}, ignoring: ${e.error}`);
      return;
    }
    let parameter = e.value;
    if (PATH_CONDITIONS.has(kind)) {
      if (!isAbsolute(parameter)) {
        err(c, a, `${a.key}= path is not absolute, ignoring: ${parameter}`);
        return;
      }
      parameter = simplifyPath(parameter);
    }
    list.push({ kind, trigger, negate, parameter, file: a.file, line: a.line });
  };
}

function execParser(pick: (s: ServiceSettings) => ExecCommand[]) {
  return (c: Ctx, a: Assignment): Outcome => {
    const r = parseExecLine(a.value, a.file, a.line, c.expand);
    c.diags.push(...r.diagnostics);
    const list = pick(c.s.service!);
    if (r.reset) list.length = 0;
    list.push(...r.commands);
    return r.fatal ? 'fatal' : undefined;
  };
}

function statusSetParser(pick: (s: ServiceSettings) => ExitStatusSet) {
  return (c: Ctx, a: Assignment): Outcome => {
    const set = pick(c.s.service!);
    if (a.value === '') {
      set.codes = [];
      set.signals = [];
      return;
    }
    for (const word of a.value.split(/[ \t\n\r]+/).filter((w) => w !== '')) {
      // Numbers are exit statuses first, then signal names.
      const code = parseExitStatus(word);
      if (code !== null) {
        if (!set.codes.includes(code)) set.codes.push(code);
        continue;
      }
      const sig = parseSignal(word);
      if (sig !== null) {
        if (!set.signals.includes(sig)) set.signals.push(sig);
        continue;
      }
      err(c, a, `Failed to parse value, ignoring: ${word}`);
    }
  };
}

function outputParser(pick: 'standardOutput' | 'standardError') {
  const simple = ['inherit', 'null', 'tty', 'journal', 'kmsg', 'journal+console', 'kmsg+console', 'socket'] as const;
  return (c: Ctx, a: Assignment): Outcome => {
    const svc = c.s.service!;
    const v = a.value;
    if ((simple as readonly string[]).includes(v)) {
      svc[pick] = { kind: v as (typeof simple)[number] };
      return;
    }
    const m = /^(file|append|truncate|fd):(.*)$/.exec(v);
    if (!m) {
      err(c, a, `Failed to parse output specifier, ignoring: ${v}`);
      return;
    }
    const e = c.expand(m[2]!);
    if (!e.ok) {
      err(c, a, `Failed to resolve unit specifiers in ${m[2]}, ignoring: ${e.error}`);
      return;
    }
    if (m[1] === 'fd') {
      svc[pick] = { kind: 'fd', name: e.value };
      return;
    }
    // systemd words this like a fatal path error but only ignores the value.
    if (!isAbsolute(e.value)) {
      err(c, a, `${a.key}= path is not absolute: ${e.value}`);
      return;
    }
    svc[pick] = { kind: m[1] as 'file' | 'append' | 'truncate', path: simplifyPath(e.value) };
  };
}

/**
 * Splits a whitespace-separated list with quotes, expanding specifiers
 * (Documentation=, Sockets=, [Install] lists). [Install] is not checked when
 * systemd loads a unit, so there (`silent`) words that fail are just dropped.
 */
function wordsWithSpecifiers(c: Ctx, a: Assignment, silent = false): string[] | null {
  const out: string[] = [];
  let rest = a.value;
  for (;;) {
    const r = extractWord(rest, { unquote: true });
    if (!r.ok) {
      if (!silent) err(c, a, `Invalid syntax, ignoring: ${a.value}`);
      return null;
    }
    if (r.word === null) return out;
    rest = r.rest;
    const e = c.expand(r.word);
    if (!e.ok) {
      if (!silent) err(c, a, `Failed to resolve unit specifiers in '${r.word}', ignoring: ${e.error}`);
      continue;
    }
    out.push(e.value);
  }
}

/** documentation_url_is_valid(). */
function isDocumentationUrl(u: string): boolean {
  if (/^(https?|file):\/\/?\S+$/.test(u) || /^file:\/\S*$/.test(u)) return true;
  const m = /^(info|man):(.*)$/.exec(u);
  return m !== null && m[2] !== '' && !/\s/.test(m[2]!);
}

/** valid_user_group_name() in its relaxed form, plus numeric IDs. */
function isValidUserOrGroup(s: string): boolean {
  if (s === '' || s === '.' || s === '..') return false;
  if (/^\d+$/.test(s)) return Number(s) < 4294967295;
  return !/[\s:/\x00-\x1f\x7f]/.test(s) && !s.startsWith('-');
}

function envFromValue(c: Ctx, a: Assignment): void {
  const env = c.s.service!.environment;
  if (a.value === '') {
    for (const k of Object.keys(env)) delete env[k];
    return;
  }
  let rest = a.value;
  for (;;) {
    const r = extractWord(rest, { unquote: true, cunescape: true });
    if (!r.ok) {
      err(c, a, `Invalid syntax, ignoring: ${a.value}`);
      return;
    }
    if (r.word === null) return;
    rest = r.rest;
    const e = c.expand(r.word);
    if (!e.ok) {
      err(c, a, `Failed to resolve specifiers in ${r.word}, ignoring: ${e.error}`);
      continue;
    }
    const eq = e.value.indexOf('=');
    if (eq < 0 || !isValidEnvName(e.value.slice(0, eq))) {
      err(c, a, `Invalid environment assignment, ignoring: ${e.value}`);
      continue;
    }
    const name = e.value.slice(0, eq);
    // A later assignment replaces the earlier one, and moves to the end.
    delete env[name];
    env[name] = e.value.slice(eq + 1);
  }
}

/**
 * The assignment's value with its specifiers expanded; when that fails,
 * systemd's warning (some parsers quote the value in it, some do not) and
 * undefined: the assignment is ignored.
 */
function expanded(c: Ctx, a: Assignment, quoted = true): string | undefined {
  const e = c.expand(a.value);
  if (e.ok) return e.value;
  err(c, a, `Failed to resolve unit specifiers in ${quoted ? `'${a.value}'` : a.value}, ignoring: ${e.error}`);
  return undefined;
}

// --- Tables ----------------------------------------------------------------

type Handler = (c: Ctx, a: Assignment) => Outcome;

const UNIT_KEYS: Record<string, Handler> = {
  Description: (c, a) => {
    const e = c.expand(a.value);
    if (!e.ok) err(c, a, `Failed to resolve unit specifiers in '${a.value}', ignoring: ${e.error}`);
    else c.s.unit.description = e.value;
  },
  Documentation: (c, a) => {
    if (a.value === '') {
      c.s.unit.documentation = [];
      return;
    }
    for (const url of wordsWithSpecifiers(c, a) ?? []) {
      if (!isDocumentationUrl(url)) err(c, a, `Invalid URL, ignoring: ${url}`);
      else c.s.unit.documentation.push(url);
    }
  },
  Requires: depsParser((u) => u.requires),
  Wants: depsParser((u) => u.wants),
  Requisite: depsParser((u) => u.requisite),
  BindsTo: depsParser((u) => u.bindsTo),
  PartOf: depsParser((u) => u.partOf),
  Conflicts: depsParser((u) => u.conflicts),
  After: depsParser((u) => u.after),
  Before: depsParser((u) => u.before),
  DefaultDependencies: boolParser((c, v) => (c.s.unit.defaultDependencies = v)),
  StopWhenUnneeded: boolParser((c, v) => (c.s.unit.stopWhenUnneeded = v)),
  RefuseManualStart: boolParser((c, v) => (c.s.unit.refuseManualStart = v)),
  RefuseManualStop: boolParser((c, v) => (c.s.unit.refuseManualStop = v)),
  StartLimitIntervalSec: secParser((c, v) => (c.s.unit.startLimitIntervalUsec = v)),
  StartLimitBurst: (c, a) => {
    if (!/^\d+$/.test(a.value)) err(c, a, `Failed to parse unsigned value, ignoring: ${a.value}`);
    else c.s.unit.startLimitBurst = Number(a.value);
  },
};
for (const kind of CONDITION_KINDS) {
  UNIT_KEYS[`Condition${kind}`] = conditionParser(kind, false);
  UNIT_KEYS[`Assert${kind}`] = conditionParser(kind, true);
}

const SERVICE_KEYS: Record<string, Handler> = {
  Type: enumParser(SERVICE_TYPES, 'service type', (c, v) => (c.s.service!.typeSetting = v)),
  BusName: (c, a) => {
    const e = c.expand(a.value);
    if (!e.ok) err(c, a, `Failed to resolve unit specifiers in ${a.value}, ignoring: ${e.error}`);
    else c.s.service!.busName = e.value === '' ? null : e.value;
  },
  ExecCondition: execParser((s) => s.execCondition),
  ExecStartPre: execParser((s) => s.execStartPre),
  ExecStart: execParser((s) => s.execStart),
  ExecStartPost: execParser((s) => s.execStartPost),
  ExecReload: execParser((s) => s.execReload),
  ExecStop: execParser((s) => s.execStop),
  ExecStopPost: execParser((s) => s.execStopPost),
  RemainAfterExit: boolParser((c, v) => (c.s.service!.remainAfterExit = v)),
  Restart: enumParser(RESTART_POLICIES, 'service restart specifier', (c, v) => (c.s.service!.restart = v)),
  RestartSec: secParser((c, v) => (c.s.service!.restartUsec = v)),
  TimeoutStartSec: timeoutParser((c, v) => {
    c.s.service!.timeoutStartUsec = v;
    c.startTimeoutSet = true;
  }),
  TimeoutStopSec: timeoutParser((c, v) => (c.s.service!.timeoutStopUsec = v)),
  TimeoutSec: timeoutParser((c, v) => {
    c.s.service!.timeoutStartUsec = v;
    c.s.service!.timeoutStopUsec = v;
    c.startTimeoutSet = true;
  }),
  KillMode: enumParser(KILL_MODES, 'kill mode specification', (c, v) => (c.s.service!.killMode = v)),
  KillSignal: (c, a) => {
    const n = parseSignal(a.value);
    if (n === null) err(c, a, `Failed to parse signal name, ignoring: ${a.value}`);
    else c.s.service!.killSignal = n;
  },
  SendSIGKILL: boolParser((c, v) => (c.s.service!.sendSIGKILL = v)),
  SuccessExitStatus: statusSetParser((s) => s.successExitStatus),
  RestartPreventExitStatus: statusSetParser((s) => s.restartPreventExitStatus),
  RestartForceExitStatus: statusSetParser((s) => s.restartForceExitStatus),
  WatchdogSec: secParser((c, v) => (c.s.service!.watchdogUsec = v)),
  Environment: (c, a) => envFromValue(c, a),
  EnvironmentFile: (c, a) => {
    const svc = c.s.service!;
    if (a.value === '') {
      svc.environmentFiles = [];
      return;
    }
    const value = expanded(c, a);
    if (value === undefined) return;
    const optional = value.startsWith('-');
    const path = optional ? value.slice(1) : value;
    if (!isAbsolute(path)) {
      err(c, a, `EnvironmentFile= path is not absolute, ignoring: ${path}`);
      return;
    }
    svc.environmentFiles.push({ path: simplifyPath(path), optional });
  },
  WorkingDirectory: (c, a) => {
    const svc = c.s.service!;
    if (a.value === '') {
      svc.workingDirectory = null;
      svc.workingDirectoryMissingOk = false;
      return;
    }
    const missingOk = a.value.startsWith('-');
    const v = missingOk ? a.value.slice(1) : a.value;
    const ignoring = missingOk ? ', ignoring' : '';
    if (v === '~') {
      svc.workingDirectory = '~';
      svc.workingDirectoryMissingOk = missingOk;
      return;
    }
    const e = c.expand(v);
    if (!e.ok) {
      err(c, a, `Failed to resolve unit specifiers in working directory path '${v}'${ignoring}: ${e.error}`);
      return missingOk ? undefined : 'fatal';
    }
    if (!isAbsolute(e.value)) {
      err(c, a, `WorkingDirectory= path is not absolute${ignoring}: ${e.value}`);
      return missingOk ? undefined : 'fatal';
    }
    svc.workingDirectory = simplifyPath(e.value);
    svc.workingDirectoryMissingOk = missingOk;
  },
  User: (c, a) => userGroup(c, a, 'user'),
  Group: (c, a) => userGroup(c, a, 'group'),
  PIDFile: (c, a) => {
    const svc = c.s.service!;
    if (a.value === '') {
      svc.pidFile = null;
      return;
    }
    const value = expanded(c, a);
    if (value === undefined) return;
    // Relative paths are taken below /run; the legacy /var/run is mapped to /run.
    svc.pidFile = legacyRunPath(c, a, simplifyPath(isAbsolute(value) ? value : `/run/${value}`));
  },
  NotifyAccess: enumParser(NOTIFY_ACCESS, 'notify access specifier', (c, v) => (c.s.service!.notifyAccess = v)),
  StandardOutput: outputParser('standardOutput'),
  StandardError: outputParser('standardError'),
  Sockets: (c, a) => {
    for (const name of wordsWithSpecifiers(c, a) ?? []) {
      if (parseUnitName(name)?.type !== 'socket') err(c, a, `Unit must be of type socket, ignoring: ${name}`);
      else if (!c.s.service!.sockets.includes(name)) c.s.service!.sockets.push(name);
    }
  },
};

function userGroup(c: Ctx, a: Assignment, which: 'user' | 'group'): Outcome {
  const svc = c.s.service!;
  if (a.value === '') {
    svc[which] = null;
    return;
  }
  const e = c.expand(a.value);
  if (!e.ok) {
    err(c, a, `Failed to resolve unit specifiers in ${a.value}: ${e.error}`);
    return 'fatal';
  }
  if (!isValidUserOrGroup(e.value)) {
    err(c, a, `Invalid user/group name or numeric ID: ${e.value}`);
    return 'fatal';
  }
  svc[which] = e.value;
}

const SOCKET_KEYS: Record<string, Handler> = {
  ListenStream: (c, a) => listen(c, a, 'stream'),
  ListenDatagram: (c, a) => listen(c, a, 'datagram'),
  Accept: boolParser((c, v) => (c.s.socket!.accept = v)),
  Service: (c, a) => {
    const value = expanded(c, a, false);
    if (value === undefined) return;
    const n = parseUnitName(value);
    if (!n || n.type !== 'service') {
      err(c, a, `Unit must be of type service, ignoring: ${value}`);
      return;
    }
    if (n.kind === 'template') {
      err(c, a, `Failed to load unit ${value}, ignoring: Unit name ${value} is missing the instance name.`);
      return;
    }
    c.s.socket!.service = value;
  },
  SocketMode: (c, a) => {
    const m = parseMode(a.value);
    if (m === null) err(c, a, `Failed to parse mode value, ignoring: ${a.value}`);
    else c.s.socket!.socketMode = m;
  },
  FileDescriptorName: (c, a) => {
    const e = c.expand(a.value);
    if (!e.ok) err(c, a, `Failed to resolve unit specifiers in '${a.value}', ignoring: ${e.error}`);
    // fdname_is_valid(): printable ASCII without ':', at most 255 characters.
    else if (e.value !== '' && (e.value.length > 255 || !/^[\x21-\x7e]+$/.test(e.value) || e.value.includes(':'))) {
      err(c, a, `Invalid file descriptor name, ignoring: ${e.value}`);
    } else c.s.socket!.fileDescriptorName = e.value === '' ? null : e.value;
  },
  Backlog: (c, a) => {
    if (!/^\d+$/.test(a.value) || Number(a.value) > 2 ** 31 - 1) err(c, a, `Failed to parse unsigned value, ignoring: ${a.value}`);
    else c.s.socket!.backlog = Number(a.value);
  },
  RemoveOnStop: boolParser((c, v) => (c.s.socket!.removeOnStop = v)),
  TriggerLimitIntervalSec: secParser((c, v) => (c.s.socket!.triggerLimitIntervalUsec = v)),
  TriggerLimitBurst: (c, a) => {
    if (!/^\d+$/.test(a.value)) err(c, a, `Failed to parse unsigned value, ignoring: ${a.value}`);
    else c.s.socket!.triggerLimitBurst = Number(a.value);
  },
  BindIPv6Only: (c, a) => {
    const b = parseBoolean(a.value);
    if (a.value === 'default' || a.value === 'both' || a.value === 'ipv6-only') c.s.socket!.bindIPv6Only = a.value;
    else if (b !== null) c.s.socket!.bindIPv6Only = b ? 'ipv6-only' : 'both';
    else err(c, a, `Failed to parse bind IPv6 only value, ignoring: ${a.value}`);
  },
};

function listen(c: Ctx, a: Assignment, kind: 'stream' | 'datagram'): Outcome {
  const sock = c.s.socket!;
  if (a.value === '') {
    sock.listen = [];
    return;
  }
  const value = expanded(c, a);
  if (value === undefined) return;
  const r = parseSocketAddress(value);
  if (!r.ok) {
    err(c, a, `Failed to parse address value in '${value}', ignoring: ${r.error}`);
    return;
  }
  if (r.address.family === 'unix') {
    const p = legacyRunPath(c, a, r.address.path);
    sock.listen.push({ kind, address: { family: 'unix', path: p }, text: p });
    return;
  }
  sock.listen.push({ kind, address: r.address, text: value });
}

/** /var/run/… becomes /run/…, with the notice systemd logs (path_simplify_and_warn()). */
function legacyRunPath(c: Ctx, a: Assignment, p: string): string {
  if (!p.startsWith('/var/run/')) return p;
  const fixed = p.slice('/var'.length);
  warn(c, a, `${a.key}= references a path below legacy directory /var/run/, updating ${p} → ${fixed}; please update the unit file accordingly.`);
  return fixed;
}

function timerValue(pick: (t: TimerSettings) => number[]) {
  return (c: Ctx, a: Assignment): Outcome => {
    if (a.value === '') return resetTimer(c);
    const value = expanded(c, a);
    if (value === undefined) return;
    const v = parseTimespan(value);
    if (v === null) err(c, a, `Failed to parse timer value, ignoring: ${value}`);
    else pick(c.s.timer!).push(v);
  };
}

/** An empty On*= value resets every timer value, of all kinds. */
function resetTimer(c: Ctx): Outcome {
  const t = c.s.timer!;
  t.onCalendar = [];
  t.onBootUsec = [];
  t.onStartupUsec = [];
  t.onActiveUsec = [];
  t.onUnitActiveUsec = [];
  t.onUnitInactiveUsec = [];
}

const TIMER_KEYS: Record<string, Handler> = {
  OnCalendar: (c, a) => {
    if (a.value === '') return resetTimer(c);
    const value = expanded(c, a);
    if (value === undefined) return;
    const spec = parseCalendar(value);
    if (!spec) err(c, a, `Failed to parse calendar specification, ignoring: ${value}`);
    else c.s.timer!.onCalendar.push(spec);
  },
  OnBootSec: timerValue((t) => t.onBootUsec),
  OnStartupSec: timerValue((t) => t.onStartupUsec),
  OnActiveSec: timerValue((t) => t.onActiveUsec),
  OnUnitActiveSec: timerValue((t) => t.onUnitActiveUsec),
  OnUnitInactiveSec: timerValue((t) => t.onUnitInactiveUsec),
  Persistent: boolParser((c, v) => (c.s.timer!.persistent = v)),
  AccuracySec: secParser((c, v) => (c.s.timer!.accuracyUsec = v)),
  RandomizedDelaySec: secParser((c, v) => (c.s.timer!.randomizedDelayUsec = v)),
  Unit: (c, a) => {
    // Only the first valid Unit= counts (config_parse_trigger_unit()).
    if (c.triggerSet) {
      err(c, a, `Multiple units to trigger specified, ignoring: ${a.value}`);
      return;
    }
    const value = expanded(c, a, false);
    if (value === undefined) return;
    if (!parseUnitName(value)) err(c, a, `Unit type not valid, ignoring: ${value}`);
    else if (value === c.unitName) err(c, a, `Units cannot trigger themselves, ignoring: ${value}`);
    else {
      c.s.timer!.unit = value;
      c.triggerSet = true;
    }
  },
};

/**
 * [Install] is read by enable/disable (install.c), not when loading, so
 * systemd reports nothing here at load time; coracle keeps the lists, with
 * specifiers expanded, and leaves validation to enable.
 */
const INSTALL_KEYS: Record<string, Handler> = {
  WantedBy: (c, a) => installList(c, a, (i) => i.wantedBy),
  RequiredBy: (c, a) => installList(c, a, (i) => i.requiredBy),
  Alias: (c, a) => installList(c, a, (i) => i.alias),
  Also: (c, a) => installList(c, a, (i) => i.also),
  DefaultInstance: (c, a) => {
    const e = c.expand(a.value);
    if (e.ok) c.s.install.defaultInstance = e.value === '' ? null : e.value;
  },
};

function installList(c: Ctx, a: Assignment, pick: (i: InstallSettings) => string[]): Outcome {
  const list = pick(c.s.install);
  if (a.value === '') {
    list.length = 0;
    return;
  }
  for (const w of wordsWithSpecifiers(c, a, true) ?? []) if (!list.includes(w)) list.push(w);
}

/** Keys accepted per section, for each unit type. */
const TYPE_SECTION: Partial<Record<UnitType, string>> = {
  service: 'Service', socket: 'Socket', timer: 'Timer', mount: 'Mount', automount: 'Automount',
  swap: 'Swap', path: 'Path', slice: 'Slice', scope: 'Scope',
};

/** Which man pages' directives each section accepts (systemd.directives(7)). */
const SECTION_PAGES: Record<string, readonly string[]> = {
  Unit: ['unit'],
  Install: ['unit'],
  Service: ['service', 'exec', 'kill', 'resource-control'],
  Socket: ['socket', 'exec', 'kill', 'resource-control'],
  Mount: ['mount', 'exec', 'kill', 'resource-control'],
  Swap: ['swap', 'exec', 'kill', 'resource-control'],
  Timer: ['timer'],
  Path: ['path'],
  Automount: ['automount'],
  Slice: ['resource-control'],
  Scope: ['scope', 'kill', 'resource-control'],
};

const INSTALL_NAMES = new Set(['WantedBy', 'RequiredBy', 'Alias', 'Also', 'DefaultInstance']);
/** Old spellings systemd still accepts, mapped to their [Unit] setting. */
const COMPAT_KEYS: Record<string, Record<string, string>> = {
  Unit: { StartLimitInterval: 'StartLimitIntervalSec' },
  Service: { StartLimitInterval: 'StartLimitIntervalSec', StartLimitBurst: 'StartLimitBurst' },
};

function knownToSystemd(section: string, key: string): boolean {
  const pages = SECTION_PAGES[section] ?? [];
  const inPages = pages.some((p) => SYSTEMD_DIRECTIVES[p]?.includes(key));
  if (!inPages) return false;
  // systemd.unit(5) documents both [Unit] and [Install]; keep them apart.
  if (section === 'Unit') return !INSTALL_NAMES.has(key);
  if (section === 'Install') return INSTALL_NAMES.has(key);
  return true;
}

function emptySettings(name: string, type: UnitType): UnitSettings {
  const dot = name.lastIndexOf('.');
  return {
    unit: {
      description: '', documentation: [], requires: [], wants: [], requisite: [], bindsTo: [], partOf: [],
      conflicts: [], after: [], before: [], conditions: [], asserts: [], defaultDependencies: true,
      startLimitIntervalUsec: 10 * USEC_PER_SEC, startLimitBurst: 5, stopWhenUnneeded: false,
      refuseManualStart: false, refuseManualStop: false,
    },
    service: type === 'service'
      ? {
          typeSetting: null, type: 'simple', busName: null, execStartPre: [], execStart: [], execStartPost: [],
          execReload: [], execStop: [], execStopPost: [], remainAfterExit: false, restart: 'no',
          restartUsec: 100_000, execCondition: [], restartForceExitStatus: { codes: [], signals: [] }, watchdogUsec: 0, timeoutStartUsec: 90 * USEC_PER_SEC, timeoutStopUsec: 90 * USEC_PER_SEC,
          killMode: 'control-group', killSignal: 15, sendSIGKILL: true,
          successExitStatus: { codes: [], signals: [] }, restartPreventExitStatus: { codes: [], signals: [] },
          environment: {}, environmentFiles: [], workingDirectory: null, workingDirectoryMissingOk: false,
          user: null, group: null, pidFile: null, notifyAccess: 'none',
          standardOutput: { kind: 'journal' }, standardError: { kind: 'inherit' }, sockets: [],
        }
      : null,
    socket: type === 'socket'
      ? {
          listen: [], accept: false, service: null, socketMode: 0o666, bindIPv6Only: 'default', fileDescriptorName: null,
          backlog: 4096, removeOnStop: false, triggerLimitIntervalUsec: 2 * USEC_PER_SEC, triggerLimitBurst: null,
        }
      : null,
    timer: type === 'timer'
      ? {
          onCalendar: [], onBootUsec: [], onStartupUsec: [], onActiveUsec: [], onUnitActiveUsec: [],
          onUnitInactiveUsec: [], persistent: false, accuracyUsec: 60 * USEC_PER_SEC, randomizedDelayUsec: 0,
          unit: `${name.slice(0, dot)}.service`,
        }
      : null,
    install: { wantedBy: [], requiredBy: [], alias: [], also: [], defaultInstance: null },
    xFleet: [],
    extensionSections: [],
    notInterpreted: [],
  };
}

function tableFor(section: string, type: UnitType): Record<string, Handler> | null {
  if (section === 'Unit') return UNIT_KEYS;
  if (section === 'Install') return INSTALL_KEYS;
  if (section !== TYPE_SECTION[type]) return null;
  if (section === 'Service') return SERVICE_KEYS;
  if (section === 'Socket') return SOCKET_KEYS;
  if (section === 'Timer') return TIMER_KEYS;
  return {};
}

/**
 * Interprets the files of one unit. `name` is the unit's full name (its type
 * decides which sections are valid); `files` are the fragment then drop-ins.
 */
export function interpretUnit(name: string, files: readonly UnitFile[], expand: SpecifierExpander): InterpretResult {
  const parsed = parseUnitName(name);
  if (!parsed) throw new Error(`interpretUnit: invalid unit name ${name}`);
  const type = parsed.type;
  const c: Ctx = { unitName: name, expand, diags: [], s: emptySettings(name, type), startTimeoutSet: false, triggerSet: false, noteLines: new Map() };
  let fatal = false;

  for (const f of files) {
    const mark = c.diags.length;
    let stopLine = Infinity;
    fatal = interpretFile(c, f, type, (line) => (stopLine = line));
    // Report in file order, syntax and setting problems interleaved by line
    // as systemd logs them while reading; nothing after a fatal line.
    const syntax = [...f.diagnostics, ...f.sections.filter((sec) => isReadSection(sec.name, type)).flatMap((sec) => sec.diagnostics)];
    const mine = [...syntax.filter((d) => d.line <= stopLine), ...c.diags.slice(mark)];
    const at = (d: Diagnostic): number => (d.line > 0 ? d.line : (c.noteLines.get(d) ?? Infinity));
    mine.sort((a, b) => at(a) - at(b));
    c.diags.splice(mark, c.diags.length - mark, ...mine);
    if (fatal) break;
    // An unreadable file (invalid section header) ends loading: LoadState error.
    if (f.failed) return { settings: c.s, diagnostics: c.diags, loadState: 'error' };
  }

  const unitWide = (message: string): InterpretResult => {
    c.diags.push({ severity: 'error', file: files[0]?.path ?? name, line: 0, unit: name, message });
    return { settings: c.s, diagnostics: c.diags, loadState: 'bad-setting' };
  };
  if (fatal) return unitWide('Unit configuration has fatal error, unit will not be started.');
  const refusal = verify(c);
  if (refusal) return unitWide(refusal);
  return { settings: c.s, diagnostics: c.diags, loadState: 'loaded' };
}

/** Sections systemd reads for this type; the others (unknown, `X-…`) it skips line by line. */
function isReadSection(name: string, type: UnitType): boolean {
  return !name.startsWith('X-') && tableFor(name, type) !== null;
}

/** Applies one file's assignments; returns true at a fatal error (after calling `stop` with its line). */
function interpretFile(c: Ctx, f: UnitFile, type: UnitType, stop: (line: number) => void): boolean {
  for (const sec of f.sections) {
    if (sec.name === 'X-Fleet') {
      for (const a of sec.entries) c.s.xFleet.push({ key: a.key, value: a.value, file: a.file, line: a.line });
      continue;
    }
    if (sec.name.startsWith('X-')) {
      c.s.extensionSections.push(sec);
      continue;
    }
    const table = tableFor(sec.name, type);
    if (!table) {
      c.diags.push({ severity: 'warning', file: sec.file, line: sec.line, message: `Unknown section '${sec.name}'. Ignoring.` });
      continue;
    }
    for (const a0 of sec.entries) {
      const compat = COMPAT_KEYS[sec.name]?.[a0.key];
      const a = compat ? { ...a0, key: compat } : a0;
      const handler = compat ? UNIT_KEYS[compat] : table[a.key];
      if (handler) {
        if (handler(c, a) === 'fatal') {
          stop(a.line); // systemd stops reading at a fatal error
          return true;
        }
      } else if (a.key.startsWith('X-')) {
        // extension keys are for other consumers
      } else if (knownToSystemd(sec.name, a.key)) {
        c.s.notInterpreted.push(a);
      } else {
        warn(c, a, `Unknown key '${a.key}' in section [${sec.name}], ignoring.`);
      }
    }
  }
  return false;
}

/** The per-type load checks (service_verify(), socket_verify(), timer_verify()); returns the refusal message. */
function verify(c: Ctx): string | null {
  const svc = c.s.service;
  if (svc) {
    // Type= defaults as service_add_extras() decides it.
    svc.type = svc.typeSetting ?? (svc.busName ? 'dbus' : svc.execStart.length > 0 ? 'simple' : 'oneshot');
    if (svc.type === 'oneshot' && !c.startTimeoutSet) svc.timeoutStartUsec = Infinity;
    if (svc.execStart.length === 0 && svc.execStop.length === 0) return 'Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.';
    if (svc.type !== 'oneshot' && svc.execStart.length === 0) return 'Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.';
    if (!svc.remainAfterExit && svc.execStart.length === 0) return 'Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.';
    if (svc.type !== 'oneshot' && svc.execStart.length > 1) return 'Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.';
    if (svc.type === 'oneshot' && (svc.restart === 'always' || svc.restart === 'on-success')) return "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.";
    // WatchdogSec= needs the notify socket: NotifyAccess= defaults to main then (service_add_extras()).
    if (svc.watchdogUsec > 0 && svc.notifyAccess === 'none') svc.notifyAccess = 'main';
    if (svc.type === 'dbus' && !svc.busName) return 'Service is of type D-Bus but no D-Bus service name has been specified. Refusing.';
  }
  const sock = c.s.socket;
  if (sock) {
    if (sock.listen.length === 0) return 'Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.';
    if (sock.accept && sock.service) return 'Explicit service configuration for accepting socket units not supported. Refusing.';
  }
  const t = c.s.timer;
  if (t) {
    const any = t.onCalendar.length + t.onBootUsec.length + t.onStartupUsec.length + t.onActiveUsec.length +
      t.onUnitActiveUsec.length + t.onUnitInactiveUsec.length;
    if (any === 0) return 'Timer unit lacks value setting. Refusing.';
  }
  return null;
}
