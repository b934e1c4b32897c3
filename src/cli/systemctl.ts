// `coracle systemctl [--root DIR] COMMAND …`: systemctl's commands, output
// formats and exit codes (systemctl(1), systemd 252), spoken over the init's
// control API.
import { InitClient, InitUnavailable, resolveRoot, unitPath } from '../init/client.js';
import type { UnitDetail } from '../init/node/api.js';
import type { InstallChange } from '../init/install.js';
import type { JournalEntry } from '../init/node/journal.js';
import type { UnitStatus } from '../init/manager.js';
import { formatTimespan, parseUnitName } from '../units/index.js';
import { formatJournalShort } from './journalctl.js';

const USAGE = `Usage: coracle systemctl [--root DIR] COMMAND [UNIT...]

Unit commands:
  list-units [--all]        list units the init has loaded
  list-unit-files           list unit files and their enablement
  list-sockets [--all]      list socket units: what they listen on, what they start
  list-timers [--all]       list timer units: next and last elapse, what they start
  start|stop|restart UNIT…  start, stop or restart units (waits for the jobs)
  try-restart|reload UNIT…  restart if running; run ExecReload=
  status [UNIT…]            show runtime status and recent journal lines
  show [-p PROP…] [--value] UNIT…  show properties
  cat UNIT…                 show the unit files
  is-active|is-failed UNIT… check the state
  kill [-s SIG] [--kill-whom=all|main|control] UNIT…  signal the unit's processes
  reset-failed [UNIT…]      forget failures and start limits
Unit file commands:
  enable|disable UNIT…      create or remove [Install] links
  mask|unmask UNIT…         link to /dev/null, or remove that link
  link PATH…                make a unit file outside the unit dirs loadable
  is-enabled UNIT…          print the enablement state
Manager commands:
  daemon-reload             read the unit files again

Options:
  --root DIR   the machine root (default: $CORACLE_ROOT, else ~/.local/share/coracle/root)
  --runtime    with enable/mask/link: in run/systemd/system only
  --now        with enable: start too; with disable/mask: stop too
  -a, --all    with list-units: inactive units too
  -p, --property NAME   with show: only these properties
  --value      with show: values only
  -n, --lines N         with status: journal lines (default 10)
  --no-legend, --no-pager, -q/--quiet
`;

interface Options {
  root: string | undefined;
  all: boolean;
  runtime: boolean;
  now: boolean;
  value: boolean;
  quiet: boolean;
  noLegend: boolean;
  lines: number;
  properties: string[];
  signal: string;
  whom: string;
}

function parse(argv: string[]): { opts: Options; args: string[] } | string {
  const opts: Options = { root: undefined, all: false, runtime: false, now: false, value: false, quiet: false, noLegend: false, lines: 10, properties: [], signal: 'SIGTERM', whom: 'all' };
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string | undefined => argv[++i];
    if (a === '--root') opts.root = next();
    else if (a.startsWith('--root=')) opts.root = a.slice(7);
    else if (a === '-a' || a === '--all') opts.all = true;
    else if (a === '--runtime') opts.runtime = true;
    else if (a === '--now') opts.now = true;
    else if (a === '--value') opts.value = true;
    else if (a === '-q' || a === '--quiet') opts.quiet = true;
    else if (a === '--no-legend') opts.noLegend = true;
    else if (a === '--no-pager' || a === '--no-block' || a === '-l' || a === '--full' || a === '--system') continue;
    else if (a === '-p' || a === '--property') opts.properties.push(...(next() ?? '').split(','));
    else if (a.startsWith('--property=')) opts.properties.push(...a.slice(11).split(','));
    else if (a.startsWith('-p') && a.length > 2) opts.properties.push(...a.slice(2).split(','));
    else if (a === '-s' || a === '--signal') opts.signal = next() ?? '';
    else if (a.startsWith('--signal=')) opts.signal = a.slice(9);
    else if (a.startsWith('--kill-whom=') || a.startsWith('--kill-who=')) opts.whom = a.slice(a.indexOf('=') + 1);
    else if (a === '-n' || a === '--lines') opts.lines = Number(next());
    else if (a.startsWith('--lines=')) opts.lines = Number(a.slice(8));
    else if (a === '-h' || a === '--help') return 'help';
    else if (a.startsWith('-') && a !== '-') return `unrecognized option '${a}'`;
    else args.push(a);
  }
  return { opts, args };
}

/** "foo" → "foo.service", as systemctl mangles names without a type suffix. */
export function mangle(name: string): string {
  return parseUnitName(name) ? name : `${name}.service`;
}

// --- time ---------------------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
function tzName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "Sun 2026-11-22 19:09:47 UTC" (format_timestamp()). */
export function formatTimestamp(usec: number): string {
  const d = new Date(usec / 1000);
  return `${DAYS[d.getDay()]} ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${tzName(d)}`;
}

/** "5s ago", "1min 3s ago", "2h 5min ago", "3 days ago" (format_timestamp_relative()). */
export function formatRelative(usec: number, nowUsec = Date.now() * 1000): string {
  const s = Math.max(0, Math.floor((nowUsec - usec) / 1e6));
  const d = Math.floor(s / 86400);
  if (d >= 1) return `${d} day${d > 1 ? 's' : ''} ${Math.floor((s % 86400) / 3600)}h ago`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}min ago`;
  if (s >= 60) return `${Math.floor(s / 60)}min ${s % 60}s ago`;
  if (s === 0) return `${Math.max(0, Math.floor((nowUsec - usec) / 1000))}ms ago`;
  return `${s}s ago`;
}

/** "4min 59s left" for a time ahead. */
function formatLeft(usec: number, nowUsec = Date.now() * 1000): string {
  const s = Math.max(0, Math.floor((usec - nowUsec) / 1e6));
  if (s >= 86400) return `${Math.floor(s / 86400)} day${s >= 172800 ? 's' : ''} ${Math.floor((s % 86400) / 3600)}h left`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}min left`;
  if (s >= 60) return `${Math.floor(s / 60)}min ${s % 60}s left`;
  return `${s}s left`;
}

// --- output -------------------------------------------------------------------

const EXIT_NAMES: Record<number, string> = { 0: 'SUCCESS', 1: 'FAILURE', 2: 'INVALIDARGUMENT', 3: 'NOTIMPLEMENTED', 4: 'NOPERMISSION', 5: 'NOTINSTALLED', 6: 'NOTCONFIGURED', 7: 'NOTRUNNING', 200: 'CHDIR', 203: 'EXEC', 216: 'GROUP', 217: 'USER' };
const SIGNAL_NAMES: Record<number, string> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 5: 'TRAP', 6: 'ABRT', 7: 'BUS', 8: 'FPE', 9: 'KILL', 10: 'USR1', 11: 'SEGV', 12: 'USR2', 13: 'PIPE', 14: 'ALRM', 15: 'TERM' };

function describeExit(e: { code: string; status: number }): string {
  const name = e.code === 'exited' ? EXIT_NAMES[e.status] : SIGNAL_NAMES[e.status];
  return `code=${e.code}, status=${e.status}${name ? `/${name}` : ''}`;
}

function bullet(active: string): string {
  if (active === 'failed') return '×';
  if (active === 'inactive') return '○';
  return '●';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join(' ').trimEnd());
}

const JOB_FAILURE: Record<string, string> = {
  'exit-code': 'the control process exited with error code',
  timeout: 'a timeout was exceeded',
  signal: 'a fatal signal was delivered to the control process',
  'core-dump': 'a fatal signal was delivered causing the control process to dump core',
  'start-limit-hit': 'start of the service was attempted too often',
  protocol: 'the service did not take the steps required by its unit configuration',
  resources: 'of unavailable resources or another system error',
};

interface Ctx {
  client: InitClient;
  opts: Options;
  out: (s: string) => void;
  err: (s: string) => void;
}

interface ErrorBody { error: string; message: string }

/** An error the init answered with, to print as is. */
class Refusal extends Error {}

async function getUnit(c: Ctx, name: string): Promise<UnitDetail> {
  const r = await c.client.request<UnitDetail & Partial<ErrorBody>>('GET', unitPath(name));
  if (r.status !== 200) throw new Refusal(r.body.message ?? `cannot read ${name}`);
  return r.body;
}

async function runJob(c: Ctx, verb: string, action: string, names: string[]): Promise<number> {
  let rc = 0;
  for (const raw of names) {
    const name = mangle(raw);
    const r = await c.client.request<{ result: string; unit?: UnitDetail } & Partial<ErrorBody>>('POST', unitPath(name, action));
    if (r.status !== 200) {
      c.err(`Failed to ${verb} ${name}: ${r.body.message}\n`);
      rc = r.body.error === 'not-found' ? 5 : 1;
      continue;
    }
    const result = r.body.result;
    if (result === 'done') continue;
    rc = 1;
    if (result === 'dependency') c.err(`A dependency job for ${name} failed. See 'journalctl -xe' for details.\n`);
    else if (result === 'assert') c.err(`Assertion failed on job for ${name}.\n`);
    else if (result === 'canceled') c.err(`Job for ${name} canceled.\n`);
    else {
      const why = JOB_FAILURE[r.body.unit?.result ?? ''] ?? 'the service failed';
      c.err(`Job for ${name} failed because ${why}.\nSee "systemctl status ${name}" and "journalctl -xeu ${name}" for details.\n`);
    }
  }
  return rc;
}

function activeLine(u: UnitDetail): string {
  // "failed (Result: exit-code)", "active (running)": the SubState only when it says more.
  let s = u.subState === u.activeState ? u.activeState : `${u.activeState} (${u.subState})`;
  if ((u.activeState === 'failed' || u.subState === 'auto-restart') && u.result && u.result !== 'success') s += ` (Result: ${u.result})`;
  const since = u.activeState === 'active' || u.activeState === 'reloading' ? u.times.activeEnter
    : u.activeState === 'inactive' || u.activeState === 'failed' ? u.times.inactiveEnter
      : u.activeState === 'activating' ? u.times.inactiveExit : u.times.activeExit;
  if (since) s += ` since ${formatTimestamp(since)}; ${formatRelative(since)}`;
  return s;
}

async function status(c: Ctx, names: string[]): Promise<number> {
  let rc = 0;
  let first = true;
  if (names.length === 0) {
    const r = await c.client.request<{ units: UnitStatus[] }>('GET', '/v1/units');
    names = r.body.units.filter((u) => u.activeState !== 'inactive').map((u) => u.id);
  }
  for (const raw of names) {
    const name = mangle(raw);
    const u = await getUnit(c, name);
    if (u.loadState === 'not-found' && u.activeState === 'inactive') {
      c.err(`Unit ${name} could not be found.\n`);
      rc = rc || 4;
      continue;
    }
    if (!first) c.out('\n');
    first = false;
    const lines: string[] = [];
    lines.push(`${bullet(u.activeState)} ${u.id}${u.description !== u.id ? ` - ${u.description}` : ''}`);
    const loadDetail = u.loadState === 'masked' ? ` (${u.fragmentPath ?? '/dev/null'}; masked)`
      : u.loadState === 'bad-setting' ? ` (Reason: Unit ${u.id} has a bad unit file setting.)`
        : u.loadState === 'error' ? ` (Reason: Unit ${u.id} failed to load properly, please adjust/correct and reload service manager.)`
          : u.fragmentPath ? ` (${u.fragmentPath}; ${u.unitFileState})` : '';
    lines.push(`     Loaded: ${u.loadState}${loadDetail}`);
    if (u.dropInPaths.length > 0) {
      const byDir = new Map<string, string[]>();
      for (const p of u.dropInPaths) {
        const d = p.slice(0, p.lastIndexOf('/'));
        byDir.set(d, [...(byDir.get(d) ?? []), p.slice(p.lastIndexOf('/') + 1)]);
      }
      let label = '    Drop-In: ';
      for (const [d, files] of byDir) {
        lines.push(`${label}${d}`);
        lines.push(`             └─${files.join(', ')}`);
        label = '             ';
      }
    }
    lines.push(`     Active: ${activeLine(u)}`);
    if (u.triggeredBy.length > 0) lines.push(`TriggeredBy: ${u.triggeredBy.map((t) => `● ${t}`).join('\n             ')}`);
    if (u.conditionResult === false && u.failedCondition) {
      lines.push(`  Condition: start condition failed at ${u.times.stateChange ? `${formatTimestamp(u.times.stateChange)}; ${formatRelative(u.times.stateChange)}` : ''}`);
      lines.push(`             └─ ${u.failedCondition} was not met`);
    }
    if (u.timer) {
      const next = u.timer.nextElapse;
      if (next !== null && u.activeState === 'active') lines.push(`    Trigger: ${formatTimestamp(next)}; ${formatLeft(next)}`);
      else lines.push('    Trigger: n/a');
      lines.push(`   Triggers: ● ${u.timer.unit}`);
    }
    if (u.socket) {
      if (!u.socket.accept) lines.push(`   Triggers: ● ${u.socket.triggers}`);
      u.socket.listen.forEach((l, i) => lines.push(`${i === 0 ? '     Listen: ' : '             '}${l.address} (${l.type})`));
      if (u.socket.accept) lines.push(`   Accepted: ${u.socket.nAccepted}; Connected: ${u.socket.nConnections};`);
    }
    if (u.mainPid !== null && u.tasks.some((t) => t.pid === u.mainPid)) {
      const cmd = u.tasks.find((t) => t.pid === u.mainPid)!.cmdline.split(' ')[0] ?? '';
      lines.push(`   Main PID: ${u.mainPid} (${cmd.slice(cmd.lastIndexOf('/') + 1)})`);
    } else if (u.execMain && u.execMainPid !== null) {
      lines.push(`   Main PID: ${u.execMainPid} (${describeExit(u.execMain)})`);
    }
    if (u.statusText) lines.push(`     Status: "${u.statusText}"`);
    if (u.tasks.length > 0) {
      lines.push(`      Tasks: ${u.tasks.length}`);
      if (u.usage) {
        lines.push(`     Memory: ${formatBytes(u.usage.memoryBytes)}`);
        lines.push(`        CPU: ${formatTimespan(Math.round(u.usage.cpuUsec / 1000) * 1000)}`);
      }
      lines.push(`     CGroup: ${u.cgroup ?? `/${u.id}`}`);
      u.tasks.forEach((t, i) => lines.push(`             ${i === u.tasks.length - 1 ? '└─' : '├─'}${t.pid} ${t.cmdline}`));
    }
    c.out(`${lines.join('\n')}\n`);
    if (c.opts.lines > 0) {
      const entries: JournalEntry[] = [];
      await c.client.stream<JournalEntry>(`/v1/journal?unit=${encodeURIComponent(u.id)}&lines=${c.opts.lines}`, (e) => entries.push(e));
      if (entries.length > 0) c.out(`\n${entries.map((e) => formatJournalShort(e)).join('\n')}\n`);
    }
    if (u.activeState !== 'active' && u.activeState !== 'reloading') rc = rc || 3;
  }
  return rc;
}

/** format_bytes(): "512B", "96.0K", "1.2M" (1024-based, one decimal cut, not rounded). */
export function formatBytes(n: number): string {
  const units: [string, number][] = [['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]];
  for (const [suffix, factor] of units) {
    if (n >= factor) return `${Math.floor(n / factor)}.${Math.floor((n * 10) / factor) % 10}${suffix}`;
  }
  return `${n}B`;
}

/** systemctl list-sockets: LISTEN UNIT ACTIVATES, one row per address. */
async function listSockets(c: Ctx): Promise<number> {
  const r = await c.client.request<{ units: UnitStatus[] }>('GET', '/v1/units');
  const socks = r.body.units.filter((u) => u.socket && (c.opts.all || u.activeState !== 'inactive'));
  const rows: string[][] = [];
  for (const u of socks) {
    const activates = u.socket!.accept ? '' : u.socket!.triggers;
    for (const l of u.socket!.listen) rows.push([l.address, u.id, activates]);
  }
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  if (!c.opts.noLegend) rows.unshift(['LISTEN', 'UNIT', 'ACTIVATES']);
  if (rows.length > 0) c.out(`${table(rows).join('\n')}\n`);
  if (!c.opts.noLegend) {
    const n = rows.length - 1;
    c.out(`\n${n} sockets listed.\n${c.opts.all ? '' : 'Pass --all to see loaded but inactive sockets, too.\n'}`);
  }
  return 0;
}

/** systemctl list-timers: NEXT LEFT LAST PASSED UNIT ACTIVATES, soonest first. */
async function listTimers(c: Ctx): Promise<number> {
  const r = await c.client.request<{ units: UnitStatus[] }>('GET', '/v1/units');
  const timers = r.body.units.filter((u) => u.timer && (c.opts.all || u.activeState !== 'inactive'));
  const now = Date.now() * 1000;
  const next = (u: UnitStatus): number => (u.activeState === 'active' ? u.timer!.nextElapse ?? Infinity : Infinity);
  timers.sort((a, b) => next(a) - next(b) || a.id.localeCompare(b.id));
  const rows = timers.map((u) => {
    const n = next(u);
    const last = u.timer!.lastTrigger;
    return [
      Number.isFinite(n) ? formatTimestamp(n) : 'n/a', Number.isFinite(n) ? formatLeft(n, now) : 'n/a',
      last ? formatTimestamp(last) : 'n/a', last ? formatRelative(last, now) : 'n/a', u.id, u.timer!.unit,
    ];
  });
  if (!c.opts.noLegend) rows.unshift(['NEXT', 'LEFT', 'LAST', 'PASSED', 'UNIT', 'ACTIVATES']);
  if (rows.length > 0) c.out(`${table(rows).join('\n')}\n`);
  if (!c.opts.noLegend) c.out(`\n${timers.length} timers listed.\n${c.opts.all ? '' : 'Pass --all to see loaded but inactive timers, too.\n'}`);
  return 0;
}

function usecProp(v: number | null): string {
  return v === null ? 'infinity' : formatTimespan(v);
}

function properties(u: UnitDetail): [string, string][] {
  const ts = (v: number | null): string => (v ? formatTimestamp(v) : '');
  const mono = (v: number | null): string => (v ? String(v) : '0');
  const codes: Record<string, number> = { exited: 1, killed: 2, dumped: 3 };
  const out: [string, string][] = [];
  const s = u.service;
  if (s) {
    out.push(['Type', s.type], ['Restart', s.restart], ['NotifyAccess', s.notifyAccess], ['RestartUSec', usecProp(s.restartUsec)],
      ['TimeoutStartUSec', usecProp(s.timeoutStartUsec)], ['TimeoutStopUSec', usecProp(s.timeoutStopUsec)], ['RemainAfterExit', s.remainAfterExit ? 'yes' : 'no'],
      ['PIDFile', s.pidFile ?? ''], ['MainPID', String(u.mainPid ?? 0)], ['ControlPID', String(u.controlPid ?? 0)], ['StatusText', u.statusText],
      ['Result', u.result ?? 'success'], ['NRestarts', String(u.nRestarts)], ['ExecMainPID', String(u.execMainPid ?? 0)],
      ['ExecMainCode', String(u.execMain ? codes[u.execMain.code] ?? 0 : 0)], ['ExecMainStatus', String(u.execMain?.status ?? 0)],
      ['WatchdogUSec', usecProp(s.watchdogUsec === 0 ? 0 : s.watchdogUsec)],
      ['WorkingDirectory', s.workingDirectory ?? '/'], ['User', s.user ?? ''], ['Group', s.group ?? ''], ['KillMode', s.killMode], ['KillSignal', String(s.killSignal)]);
  }
  if (u.socket) {
    // systemctl show of a socket: Listen= as "ADDRESS (Stream)" per address, and the counters.
    out.push(['Accept', u.socket.accept ? 'yes' : 'no'], ['NAccepted', String(u.socket.nAccepted)], ['NConnections', String(u.socket.nConnections)],
      ['Result', u.result ?? 'success']);
    for (const l of u.socket.listen) out.push(['Listen', `${l.address} (${l.type})`]);
    if (!u.socket.accept) out.push(['Triggers', u.socket.triggers]);
  }
  if (u.triggeredBy.length > 0) out.push(['TriggeredBy', u.triggeredBy.join(' ')]);
  if (u.usage) out.push(['MemoryCurrent', String(u.usage.memoryBytes)], ['CPUUsageNSec', String(u.usage.cpuUsec * 1000)]);
  out.push(['TasksCurrent', String(u.tasks.length)]);
  out.push(['Id', u.id], ['Names', u.id]);
  const d = u.deps;
  for (const [k, v] of [['Requires', d.requires], ['Requisite', d.requisite], ['Wants', d.wants], ['BindsTo', d.bindsTo], ['PartOf', d.partOf], ['Conflicts', d.conflicts], ['Before', d.before], ['After', d.after]] as const) {
    if (v.length > 0) out.push([k, v.join(' ')]);
  }
  out.push(['Description', u.description], ['LoadState', u.loadState], ['ActiveState', u.activeState], ['SubState', u.subState],
    ['FragmentPath', u.fragmentPath ?? ''], ['DropInPaths', u.dropInPaths.join(' ')], ['UnitFileState', u.unitFileState],
    ['StateChangeTimestamp', ts(u.times.stateChange)], ['InactiveExitTimestamp', ts(u.times.inactiveExit)], ['ActiveEnterTimestamp', ts(u.times.activeEnter)],
    ['ActiveExitTimestamp', ts(u.times.activeExit)], ['InactiveEnterTimestamp', ts(u.times.inactiveEnter)],
    ['ActiveEnterTimestampMonotonic', mono(u.times.activeEnter)],
    ['ConditionResult', u.conditionResult === false ? 'no' : 'yes'], ['AssertResult', u.assertResult === false ? 'no' : 'yes']);
  return out;
}

async function show(c: Ctx, names: string[]): Promise<number> {
  const blocks: string[] = [];
  for (const raw of names) {
    const u = await getUnit(c, mangle(raw));
    let props = properties(u);
    if (c.opts.properties.length > 0) {
      const all = props;
      // A property that repeats (Listen=) is shown once per value.
      props = c.opts.properties.filter((p) => p !== '').flatMap((p) => {
        const found = all.filter(([k]) => k === p);
        return found.length > 0 ? found : [[p, ''] as [string, string]];
      });
    }
    blocks.push(props.map(([k, v]) => (c.opts.value ? v : `${k}=${v}`)).join('\n'));
  }
  c.out(`${blocks.join('\n\n')}\n`);
  return 0;
}

async function cat(c: Ctx, names: string[]): Promise<number> {
  let rc = 0;
  let first = true;
  for (const raw of names) {
    const name = mangle(raw);
    const r = await c.client.request<{ fragmentPath: string | null; contents: { path: string; text: string }[] } & Partial<ErrorBody>>('GET', unitPath(name, 'files'));
    if (r.status !== 200) throw new Refusal(r.body.message ?? `cannot read ${name}`);
    if (r.body.contents.length === 0) {
      c.err(`No files found for ${name}.\n`);
      rc = 1;
      continue;
    }
    for (const f of r.body.contents) {
      if (!first) c.out('\n');
      first = false;
      c.out(`# ${f.path}\n${f.text}${f.text.endsWith('\n') || f.text === '' ? '' : '\n'}`);
    }
  }
  return rc;
}

async function listUnits(c: Ctx): Promise<number> {
  const r = await c.client.request<{ units: UnitStatus[] }>('GET', '/v1/units');
  const units = r.body.units.filter((u) => c.opts.all || u.activeState !== 'inactive' || u.job !== null);
  const withJob = units.some((u) => u.job !== null);
  const header = ['  UNIT', 'LOAD', 'ACTIVE', 'SUB', ...(withJob ? ['JOB'] : []), 'DESCRIPTION'];
  const rows = units.map((u) => [
    `${u.activeState === 'failed' || u.loadState !== 'loaded' ? '●' : ' '} ${u.id}`, u.loadState, u.activeState, u.subState,
    ...(withJob ? [u.job?.type ?? ''] : []), u.description,
  ]);
  const lines = table(c.opts.noLegend ? rows.length > 0 ? rows : [header.map(() => '')] : [header, ...rows]);
  if (units.length > 0 || !c.opts.noLegend) c.out(`${lines.join('\n')}\n`);
  if (!c.opts.noLegend) {
    c.out(`\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n`);
    if (withJob) c.out('JOB    = Pending job for the unit.\n');
    c.out(`\n${units.length} loaded units listed.${c.opts.all ? '' : ' Pass --all to see loaded but inactive units, too.'}\nTo show all installed unit files use 'systemctl list-unit-files'.\n`);
  }
  return 0;
}

async function listUnitFiles(c: Ctx): Promise<number> {
  const r = await c.client.request<{ unitFiles: { name: string; state: string }[] }>('GET', '/v1/unit-files');
  const files = r.body.unitFiles;
  const rows = files.map((f) => [f.name, f.state]);
  if (!c.opts.noLegend) rows.unshift(['UNIT FILE', 'STATE']);
  if (rows.length > 0) c.out(`${table(rows).join('\n')}\n`);
  if (!c.opts.noLegend) c.out(`\n${files.length} unit files listed.\n`);
  return 0;
}

function printChanges(c: Ctx, changes: InstallChange[]): void {
  if (c.opts.quiet) return;
  for (const ch of changes) {
    if (ch.type === 'symlink') c.err(`Created symlink ${ch.path} → ${ch.target}.\n`);
    else c.err(`Removed "${ch.path}".\n`);
  }
}

async function installCommand(c: Ctx, action: string, names: string[]): Promise<number> {
  for (const raw of names) {
    const name = action === 'link' ? raw : mangle(raw);
    const r = action === 'link'
      ? await c.client.request<{ changes: InstallChange[]; warnings: string[] } & Partial<ErrorBody>>('POST', '/v1/link', { path: name, runtime: c.opts.runtime })
      : await c.client.request<{ changes: InstallChange[]; warnings: string[] } & Partial<ErrorBody>>('POST', `${unitPath(name, action)}${c.opts.runtime ? '?runtime=1' : ''}`);
    if (r.status !== 200) {
      c.err(`Failed to ${action} unit: ${r.body.message?.replace(/^Failed to \w+ unit: /, '')}\n`);
      return 1;
    }
    for (const w of r.body.warnings) c.err(`${w}\n`);
    printChanges(c, r.body.changes);
  }
  return 0;
}

const ENABLED_OK = new Set(['enabled', 'enabled-runtime', 'static', 'indirect', 'alias', 'generated', 'transient']);

async function check(c: Ctx, kind: 'is-active' | 'is-failed' | 'is-enabled', names: string[]): Promise<number> {
  let ok = false;
  for (const raw of names) {
    const u = await getUnit(c, mangle(raw));
    let shown: string;
    let good: boolean;
    if (kind === 'is-enabled') {
      shown = u.unitFileState;
      good = ENABLED_OK.has(shown);
      if (shown === 'not-found') {
        c.err(`Failed to get unit file state for ${mangle(raw)}: No such file or directory\n`);
        continue;
      }
    } else {
      shown = u.activeState;
      good = kind === 'is-active' ? shown === 'active' || shown === 'reloading' : shown === 'failed';
    }
    if (!c.opts.quiet) c.out(`${shown}\n`);
    ok = ok || good;
  }
  if (kind === 'is-enabled') return ok ? 0 : 1;
  return ok ? 0 : kind === 'is-active' ? 3 : 1;
}

export async function systemctlCommand(argv: string[]): Promise<number> {
  const p = parse(argv);
  if (p === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof p === 'string') {
    process.stderr.write(`systemctl: ${p}\n`);
    return 1;
  }
  const { opts, args } = p;
  const [verb = 'list-units', ...names] = args;
  const root = resolveRoot(opts.root);
  const c: Ctx = { client: InitClient.forRoot(root), opts, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  const needUnits = (): boolean => {
    if (names.length > 0) return true;
    process.stderr.write(`Too few arguments.\n`);
    return false;
  };
  try {
    switch (verb) {
      case 'start': case 'stop': case 'restart': case 'reload': case 'try-restart':
        return needUnits() ? await runJob(c, verb, verb, names) : 1;
      case 'status': return await status(c, names);
      case 'show': return needUnits() ? await show(c, names) : 1;
      case 'cat': return needUnits() ? await cat(c, names) : 1;
      case 'list-units': return await listUnits(c);
      case 'list-unit-files': return await listUnitFiles(c);
      case 'list-sockets': return await listSockets(c);
      case 'list-timers': return await listTimers(c);
      case 'is-active': case 'is-failed': case 'is-enabled':
        return needUnits() ? await check(c, verb, names) : 1;
      case 'enable': case 'disable': case 'mask': case 'unmask': case 'link': {
        if (!needUnits()) return 1;
        const rc = await installCommand(c, verb, names);
        // --now: start what was enabled, stop what was disabled or masked.
        if (rc !== 0 || !opts.now || verb === 'link' || verb === 'unmask') return rc;
        return runJob(c, verb === 'enable' ? 'start' : 'stop', verb === 'enable' ? 'start' : 'stop', names);
      }
      case 'kill': {
        if (!needUnits()) return 1;
        for (const raw of names) {
          const name = mangle(raw);
          const r = await c.client.request<Partial<ErrorBody>>('POST', unitPath(name, 'kill'), { signal: opts.signal, whom: opts.whom });
          if (r.status !== 200) {
            c.err(`Failed to kill unit ${name}: ${r.body.message}\n`);
            return 1;
          }
        }
        return 0;
      }
      case 'daemon-reload':
        await c.client.request('POST', '/v1/daemon-reload');
        return 0;
      case 'reset-failed': {
        const list = names.length > 0 ? names.map(mangle) : (await c.client.request<{ units: UnitStatus[] }>('GET', '/v1/units')).body.units.filter((u) => u.activeState === 'failed').map((u) => u.id);
        for (const n of list) await c.client.request('POST', unitPath(n, 'reset-failed'));
        return 0;
      }
      default:
        process.stderr.write(`Unknown command verb ${verb}.\n`);
        return 1;
    }
  } catch (e) {
    if (e instanceof Refusal) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    if (e instanceof InitUnavailable) {
      process.stderr.write(`System has not been booted with coracle node as init system (no control socket at ${e.socketPath}). Can't operate.\nFailed to connect to bus: Host is down\n`);
      return 1;
    }
    throw e;
  }
}
