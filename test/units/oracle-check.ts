// A manual cross-check against the real systemd (not part of `npm test`: it
// needs systemd-analyze, which CI machines may lack). Run after `npm test`:
//
//   node dist/test/units/oracle-check.js [count] [seed]
//
// It writes pseudo-random unit files built from a pool of good and bad lines
// and compares our diagnostics with `systemd-analyze verify` (messages, line
// numbers, refusals), and compares calendar normalisation and next elapses
// with `systemd-analyze calendar`. Any difference is printed; the exit status
// is the number of differences (0 = agreement).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCalendar, formatDiagnostic, interpretUnit, nextElapse, parseCalendar, parseUnitFile, specifierExpander } from '../../src/units/index.js';

const POOL: Record<'service' | 'socket' | 'timer', string[]> = {
  service: [
    '[Service]', '[Service]', '[Unit]', '[Install]', '[X-Fleet]', '[Bogus]', '[Service', '# c', '; c', '', 'noeq', '=v',
    'Description=hello %n', 'Description=bad %Z', 'Description=cont \\', 'After=a.service b.service', 'After=nope',
    'ConditionPathExists=|!/etc/x', 'ConditionPathExists=rel', 'Documentation=bad', 'ExecStart=/bin/echo "a b" \\x41',
    'ExecStart=-/bin/true', 'ExecStart=', 'ExecStart=bin/x', 'ExecStart=/bin/a "b', 'ExecStart=@/bin/sh',
    'ExecStart=/bin/echo a\\q', 'ExecStartPre=-/bin/x %Z', 'ExecStop=/bin/a ; /bin/b', 'Type=oneshot', 'Type=bogus',
    'Restart=always', 'Restart=nope', 'TimeoutSec=5x', 'KillSignal=SIGNOPE', 'SuccessExitStatus=1 TEMPFAIL SIGHUP BOGUS',
    'Environment="A=1 2" B=3 9=x', 'Environment="open', 'EnvironmentFile=rel', 'WorkingDirectory=rel', 'User=a:b',
    'RemainAfterExit=perhaps', 'LimitNOFILE=1024', 'Execstart=/bin/x', 'X-Custom=1', 'StartLimitBurst=x',
    'StandardOutput=nope', 'Sockets=a.socket b', 'BindsTo=x.service', 'PartOf=y.target', 'Requisite=bad name',
    'Conflicts=%n', 'ConditionHost=!%H', 'ConditionEnvironment=', 'AssertKernelCommandLine=|quiet',
    'ConditionVirtualization=!container', 'ConditionDirectoryNotEmpty=/x/', 'DefaultDependencies=maybe',
    'StopWhenUnneeded=1', 'RefuseManualStop=off', 'StartLimitIntervalSec=10x', 'StartLimitInterval=5',
    'PIDFile=/var/run/a.pid', 'PIDFile=%Z', 'NotifyAccess=bogus', 'Group=0', 'Group=', 'KillMode=bogus',
    'SendSIGKILL=maybe', 'BusName=org.example.X', 'RestartPreventExitStatus=SIGKILL 1 x', 'TimeoutStartSec=0',
    'TimeoutStopSec=infinity', 'WorkingDirectory=~', 'WorkingDirectory=-%Z', 'StandardError=file:/var/log/x',
    'StandardError=append:rel', 'EnvironmentFile=-/etc/x %Z', 'WantedBy=multi-user.target', 'Alias=x.service',
    'RestartSec=infinity', 'Type=notify', 'Type=dbus', 'KillSignal=RTMIN+2', 'Documentation=https://a.example/ man:x(8)',
  ],
  socket: [
    '[Socket]', '[Socket]', '[Unit]', '[Service]', 'noeq', 'ListenStream=80', 'ListenStream=1.2.3.4:99999',
    'ListenDatagram=/run/x', 'Accept=yes', 'Accept=maybe', 'Service=x.service', 'Service=x', 'SocketMode=0600',
    'SocketMode=9', 'BindIPv6Only=both', 'BindIPv6Only=maybe', 'ListenStream=', 'Bogus=1',
  ],
  timer: [
    '[Timer]', '[Timer]', '[Unit]', 'OnCalendar=daily', 'OnCalendar=bogus', 'OnCalendar=', 'OnBootSec=5min', 'OnBootSec=x',
    'OnUnitActiveSec=1h', 'Persistent=true', 'Persistent=x', 'AccuracySec=1us', 'RandomizedDelaySec=z', 'Unit=foo.service',
    'Unit=foo', 'Bogus=1', 'noeq',
  ],
};

const CALENDAR = [
  'Mon *-*-* 00:00', '*-02~01', '*-*-31 12:00', '*:0/15', 'Sun *-*-1..7 3:00', '*:*:1.5/2.25', 'Tue *-02-29', '*-04-31',
  'Thu,Sat *-*~7 12:00', 'quarterly', 'weekly', '*-1..3-1/10 0:0', 'Mon..Fri *-*-* 9:30', '2025-*-* 00:00', '*-~3/2',
];

let seed = Number(process.argv[3] ?? 12345);
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const ctx = { machineId: 'm', bootId: 'b', hostname: 'h', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh' };
const ignored = /not executable|not found|Failed to create|has a bad unit file setting|failed to load properly|not loaded/;

const count = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'coracle-units-oracle-'));
let differences = 0;

for (const type of ['service', 'socket', 'timer'] as const) {
  const pool = POOL[type];
  for (let k = 0; k < count; k++) {
    const lines = Array.from({ length: 3 + rnd(12) }, () => pool[rnd(pool.length)]!);
    const text = lines.join('\n') + '\n';
    const name = `f${k}.${type}`;
    const path = join(dir, name);
    writeFileSync(path, text);
    const out = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' }).stderr;
    const theirs = out.split('\n').filter((l) => (l.startsWith(path + ':') || l.startsWith(`${name}: `)) && !ignored.test(l));
    const r = interpretUnit(name, [parseUnitFile(text, path)], specifierExpander({ name, fragmentPath: path }, ctx));
    const ours = r.diagnostics.map(formatDiagnostic);
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
      differences++;
      console.log(`--- ${path}\n${text}systemd: ${JSON.stringify(theirs, null, 1)}\ncoracle: ${JSON.stringify(ours, null, 1)}`);
    }
  }
}

const base = '2024-12-30 22:58:17 UTC';
const baseUsec = 1735599497 * 1_000_000;
for (const expr of CALENDAR) {
  const out = spawnSync('systemd-analyze', ['calendar', `--base-time=${base}`, '--iterations=4', expr], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  const text = out.stdout + out.stderr;
  const theirs = {
    normalized: /Normalized form: (.*)/.exec(text)?.[1] ?? null,
    next: [...text.matchAll(/(?:Next elapse|Iter\. #\d): \w+ (\S+ \S+) UTC/g)].map((m) => m[1]),
  };
  const spec = parseCalendar(expr);
  const next: string[] = [];
  for (let t: number | null = baseUsec, i = 0; spec && i < 4; i++) {
    t = nextElapse(spec, t);
    if (t === null) break;
    const s = Math.floor(t / 1_000_000);
    next.push(new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19));
  }
  const ours = { normalized: spec ? formatCalendar(spec) : null, next };
  if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
    differences++;
    console.log(`--- calendar ${expr}\nsystemd: ${JSON.stringify(theirs)}\ncoracle: ${JSON.stringify(ours)}`);
  }
}

console.log(`${count * 3} unit files and ${CALENDAR.length} calendar events checked against systemd: ${differences} difference(s)`);
process.exit(Math.min(differences, 100));
