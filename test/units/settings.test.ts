// Typed settings: systemd.unit(5), systemd.service(5), systemd.exec(5),
// systemd.kill(5), systemd.socket(5), systemd.timer(5) of systemd 252.
// Diagnostic texts and refusals are those `systemd-analyze verify` 252 prints
// for the same unit file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseUnitFile, interpretUnit, specifierExpander, formatDiagnostic, normalizeCalendar, formatCalendar,
  type SpecifierContext, type InterpretResult,
} from '../../src/units/index.js';

const ctx: SpecifierContext = {
  machineId: '0123456789abcdef0123456789abcdef', bootId: 'fedcba9876543210fedcba9876543210',
  hostname: 'core-01', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
};

function load(text: string, name = 't.service', dropIns: string[] = []): InterpretResult & { messages: string[] } {
  const path = `/etc/systemd/system/${name}`;
  const files = [parseUnitFile(text, path), ...dropIns.map((t, i) => parseUnitFile(t, `/etc/systemd/system/${name}.d/${i}.conf`))];
  const r = interpretUnit(name, files, specifierExpander({ name, fragmentPath: path }, ctx));
  return { ...r, messages: r.diagnostics.map(formatDiagnostic) };
}
const P = '/etc/systemd/system/t.service';

test('settings: unknown keys warn with systemd\'s wording; X- keys, X- sections and known-but-unused keys do not', () => {
  const r = load('[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\nExecstart=/bin/x\nAfter=foo.service\nX-Mine=1\nLimitNOFILE=4096\n[Bogus]\nA=b\n[X-Thing]\nFoo=bar\n');
  assert.deepEqual(r.messages, [
    `${P}:5: Unknown key 'Execstart' in section [Service], ignoring.`,
    `${P}:6: Unknown key 'After' in section [Service], ignoring.`,
    `${P}:9: Unknown section 'Bogus'. Ignoring.`,
  ]);
  assert.deepEqual(r.diagnostics.map((d) => d.severity), ['warning', 'warning', 'warning']);
  assert.equal(r.loadState, 'loaded');
  assert.deepEqual(r.settings.notInterpreted.map((a) => [a.key, a.value, a.line]), [['LimitNOFILE', '4096', 8]]);
  assert.deepEqual(r.settings.extensionSections.map((s) => [s.name, s.entries.map((e) => `${e.key}=${e.value}`)]), [['X-Thing', ['Foo=bar']]]);
  // A [Service] section in a target is an unknown section (systemd-analyze verify 252).
  assert.deepEqual(load('[Unit]\nDescription=x\n[Service]\nExecStart=/bin/x\n', 'k.target').messages,
    ['/etc/systemd/system/k.target:3: Unknown section \'Service\'. Ignoring.']);
});

test('settings: bad values are reported with file:line and ignored (systemd-analyze verify 252 wording)', () => {
  const body = [
    '[Unit]', 'After=foo', 'StartLimitBurst=x', "Description=%Z", 'StartLimitIntervalSec=5x', 'DefaultDependencies=2',
    'Wants=a.service,b.service', 'ConditionPathExists=rel', 'AssertPathExists=!rel', 'Documentation=foo',
    '[Service]', 'ExecStart=/bin/true', 'Restart=bogus', 'TimeoutSec=5x', 'Type=weird', 'RemainAfterExit=maybe',
    'KillSignal=SIGFOO', 'SuccessExitStatus=1 FOO SIGKILL 300 TEMPFAIL', 'EnvironmentFile=rel', 'StandardOutput=bogus',
    'Environment=A=%Z B=1 9C=2 "D E=3"', 'Environment="unbal', 'KillMode=bad', 'RestartSec=1x', 'NotifyAccess=bad',
    'WorkingDirectory=-rel', 'Sockets=foo bar.socket foo.service', 'StandardError=file:rel',
  ].join('\n');
  const r = load(body + '\n');
  assert.deepEqual(r.messages, [
    `${P}:2: Failed to add dependency on foo, ignoring: Invalid argument`,
    `${P}:3: Failed to parse unsigned value, ignoring: x`,
    `${P}:4: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot`,
    `${P}:5: Failed to parse sec value, ignoring: 5x`,
    `${P}:6: Failed to parse boolean value, ignoring: 2`,
    `${P}:7: Failed to add dependency on a.service,b.service, ignoring: Invalid argument`,
    `${P}:8: ConditionPathExists= path is not absolute, ignoring: rel`,
    `${P}:9: AssertPathExists= path is not absolute, ignoring: rel`,
    `${P}:10: Invalid URL, ignoring: foo`,
    `${P}:13: Failed to parse service restart specifier, ignoring: bogus`,
    `${P}:14: Failed to parse TimeoutSec= parameter, ignoring: 5x`,
    `${P}:15: Failed to parse service type, ignoring: weird`,
    `${P}:16: Failed to parse boolean value, ignoring: maybe`,
    `${P}:17: Failed to parse signal name, ignoring: SIGFOO`,
    `${P}:18: Failed to parse value, ignoring: FOO`,
    `${P}:18: Failed to parse value, ignoring: 300`,
    `${P}:19: EnvironmentFile= path is not absolute, ignoring: rel`,
    `${P}:20: Failed to parse output specifier, ignoring: bogus`,
    `${P}:21: Failed to resolve specifiers in A=%Z, ignoring: Invalid slot`,
    `${P}:21: Invalid environment assignment, ignoring: 9C=2`,
    `${P}:21: Invalid environment assignment, ignoring: D E=3`,
    `${P}:22: Invalid syntax, ignoring: "unbal`,
    `${P}:23: Failed to parse kill mode specification, ignoring: bad`,
    `${P}:24: Failed to parse sec value, ignoring: 1x`,
    `${P}:25: Failed to parse notify access specifier, ignoring: bad`,
    `${P}:26: WorkingDirectory= path is not absolute, ignoring: rel`,
    `${P}:27: Unit must be of type socket, ignoring: foo`,
    `${P}:27: Unit must be of type socket, ignoring: foo.service`,
    `${P}:28: StandardError= path is not absolute: rel`, // not fatal, despite the wording
  ]);
  assert.ok(r.diagnostics.every((d) => d.severity === 'error'));
  assert.equal(r.loadState, 'loaded');
  // The bad values left the defaults in place; the good parts of a line were kept.
  const s = r.settings;
  assert.equal(s.service!.restart, 'no');
  assert.equal(s.service!.timeoutStartUsec, 90_000_000);
  assert.equal(s.service!.killSignal, 15);
  assert.deepEqual(s.service!.successExitStatus, { codes: [1, 75], signals: [9] });
  assert.deepEqual(s.service!.environment, { B: '1' });
  assert.deepEqual(s.service!.sockets, ['bar.socket']);
  assert.equal(s.unit.startLimitBurst, 5);
  assert.deepEqual(s.unit.wants, []);
});

test('settings: fatal values refuse the unit and stop reading (LoadState bad-setting)', () => {
  const rows: Array<[string, string]> = [
    ['ExecStart=bin/true', `${P}:3: Neither a valid executable name nor an absolute path: bin/true`],
    ['User=%Z', `${P}:3: Failed to resolve unit specifiers in %Z: Invalid slot`],
    ['User=a:b', `${P}:3: Invalid user/group name or numeric ID: a:b`],
    ['WorkingDirectory=rel', `${P}:3: WorkingDirectory= path is not absolute: rel`],
  ];
  for (const [line, message] of rows) {
    const r = load(`[Service]\nType=oneshot\n${line}\nExecStart=/bin/true\nBogusKey=1\n`);
    assert.equal(r.loadState, 'bad-setting', line);
    // Nothing after the fatal line is read: no unknown-key warning for line 5.
    assert.deepEqual(r.messages, [message, 't.service: Unit configuration has fatal error, unit will not be started.'], line);
  }
});

test('settings: per-type refusals (service_verify/socket_verify/timer_verify, systemd-analyze verify 252)', () => {
  const rows: Array<[string, string, string]> = [
    ['t.service', '[Unit]\nDescription=x\n', 'Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.'],
    ['t.service', '[Service]\nType=simple\n', 'Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.'],
    ['t.service', '[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n', 'Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.'],
    ['t.service', '[Service]\nExecStart=/bin/a ; /bin/b\n', 'Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.'],
    ['t.service', '[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n', "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."],
    ['t.service', '[Service]\nType=dbus\nExecStart=/bin/true\n', 'Service is of type D-Bus but no D-Bus service name has been specified. Refusing.'],
    ['t.service', '[Service]\nType=simple\nExecStop=/bin/true\n', 'Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.'],
    ['t.service', '[Service]\nType=oneshot\nExecStop=/bin/true\n', 'Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.'],
    ['a.socket', '[Socket]\nAccept=yes\n', 'Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.'],
    ['c.socket', '[Socket]\nListenStream=80\nAccept=yes\nService=foo.service\n', 'Explicit service configuration for accepting socket units not supported. Refusing.'],
    ['d.timer', '[Timer]\nPersistent=yes\n', 'Timer unit lacks value setting. Refusing.'],
  ];
  for (const [name, text, message] of rows) {
    const r = load(text, name);
    assert.equal(r.loadState, 'bad-setting', text);
    assert.deepEqual(r.messages, [`${name}: ${message}`], text);
  }
  // Type=oneshot with only ExecStop= and RemainAfterExit=yes is accepted.
  assert.equal(load('[Service]\nRemainAfterExit=yes\nExecStop=/bin/true\nType=oneshot\n').loadState, 'loaded');
});

test('settings: [Service] values and defaults (systemd.service(5), systemd.kill(5))', () => {
  const s = load('[Service]\nExecStart=/bin/sleep 1\n').settings.service!;
  // Type defaults to simple with ExecStart=; RestartSec 100ms; timeouts 90s; KillMode control-group; SIGTERM.
  assert.deepEqual(
    [s.typeSetting, s.type, s.restart, s.restartUsec, s.timeoutStartUsec, s.timeoutStopUsec, s.killMode, s.killSignal, s.sendSIGKILL, s.remainAfterExit],
    [null, 'simple', 'no', 100_000, 90_000_000, 90_000_000, 'control-group', 15, true, false],
  );
  // oneshot: no start timeout unless set.
  const o = load('[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n').settings.service!;
  assert.equal(o.timeoutStartUsec, Infinity);
  assert.deepEqual(o.execStart.map((c) => c.argv), [['/bin/a'], ['/bin/b']]);
  assert.equal(load('[Service]\nExecStart=\n[Service]\nType=oneshot\nRemainAfterExit=yes\n').settings.service!.type, 'oneshot');

  for (const p of ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always']) {
    assert.equal(load(`[Service]\nExecStart=/bin/x\nRestart=${p}\n`).settings.service!.restart, p);
  }
  for (const t of ['simple', 'exec', 'forking', 'notify', 'idle']) {
    assert.equal(load(`[Service]\nExecStart=/bin/x\nType=${t}\n`).settings.service!.type, t);
  }
  const v = load([
    '[Service]', 'ExecStart=/bin/x', 'TimeoutSec=5min', 'TimeoutStopSec=infinity', 'RestartSec=2min 200ms',
    'KillMode=mixed', 'KillSignal=SIGINT', 'KillSignal=9', 'KillSignal=HUP', 'SendSIGKILL=no',
    'SuccessExitStatus=1 2 SIGKILL', 'SuccessExitStatus=', 'SuccessExitStatus=TEMPFAIL 250 SIGUSR1',
    'RestartPreventExitStatus=255 SIGABRT', 'User=core', 'Group=1000', 'PIDFile=/var/run/x.pid',
    'NotifyAccess=all', 'StandardOutput=append:/var/log/x.log', 'StandardError=journal',
    'WorkingDirectory=~', 'EnvironmentFile=-/etc/environment', 'EnvironmentFile=/run/x.env',
  ].join('\n') + '\n').settings.service!;
  assert.equal(v.timeoutStartUsec, 300_000_000);
  assert.equal(v.timeoutStopUsec, Infinity);
  assert.equal(v.restartUsec, 120_200_000);
  assert.equal(v.killMode, 'mixed');
  assert.equal(v.killSignal, 1);
  assert.equal(v.sendSIGKILL, false);
  assert.deepEqual(v.successExitStatus, { codes: [75, 250], signals: [10] }); // the empty value reset the list
  assert.deepEqual(v.restartPreventExitStatus, { codes: [255], signals: [6] });
  assert.deepEqual([v.user, v.group, v.pidFile, v.notifyAccess], ['core', '1000', '/run/x.pid', 'all']);
  assert.deepEqual(v.standardOutput, { kind: 'append', path: '/var/log/x.log' });
  assert.deepEqual(v.standardError, { kind: 'journal' });
  assert.equal(v.workingDirectory, '~');
  assert.deepEqual(v.environmentFiles, [{ path: '/etc/environment', optional: true }, { path: '/run/x.env', optional: false }]);
  // TimeoutSec=0 means no timeout (systemd.service(5): "0" disables it, like "infinity").
  assert.equal(load('[Service]\nExecStart=/bin/x\nTimeoutStartSec=0\n').settings.service!.timeoutStartUsec, Infinity);
});

test('settings: empty assignments reset lists, dependencies accumulate (systemd.syntax(7), systemd.unit(5))', () => {
  const r = load(
    '[Unit]\nAfter=a.service b.service\nAfter=\nRequires=docker.service\nConditionPathExists=/a\nConditionHost=x\n' +
      '[Service]\nExecStart=/bin/old\nEnvironment=A=1 B=2\nEnvironment=A=3\nEnvironmentFile=/x\n',
    't.service',
    ['[Unit]\nConditionPathExists=\nConditionPathExists=|!/b\nAssertHost=core-01\n[Service]\nExecStart=\nExecStart=/bin/new\nEnvironment=\nEnvironment=C=4\nEnvironmentFile=\n'],
  );
  const s = r.settings;
  assert.deepEqual(r.messages, []);
  assert.deepEqual(s.unit.after, ['a.service', 'b.service']); // "After=" cannot be reset
  assert.deepEqual(s.unit.requires, ['docker.service']);
  // An empty Condition*= resets every condition, of any kind (systemd.unit(5) "Conditions and Asserts").
  assert.deepEqual(s.unit.conditions.map((c) => [c.kind, c.trigger, c.negate, c.parameter]), [['PathExists', true, true, '/b']]);
  assert.deepEqual(s.unit.asserts.map((c) => [c.kind, c.parameter]), [['Host', 'core-01']]);
  assert.deepEqual(s.service!.execStart.map((c) => c.argv), [['/bin/new']]);
  assert.deepEqual(s.service!.environment, { C: '4' });
  assert.deepEqual(s.service!.environmentFiles, []);
  // Without the reset, a later assignment of the same variable wins.
  assert.deepEqual(load('[Service]\nExecStart=/bin/x\nEnvironment=A=1 B=2\nEnvironment=A=3\n').settings.service!.environment, { B: '2', A: '3' });
});

test('settings: [Unit] dependencies, conditions and flags', () => {
  const u = load([
    '[Unit]', 'Description=Web on %H', 'Documentation=man:foo(1) https://example.com/doc',
    'Requires=a.service', 'Wants=b.service c@%i.service', 'Requisite=d.service', 'BindsTo=e.service', 'PartOf=f.target',
    'Conflicts=g.service', 'Before=h.service', 'After=i.service i.service',
    'ConditionPathExists=!/etc/x', 'ConditionPathExistsGlob=/etc/*.conf', 'ConditionPathIsDirectory=|/srv',
    'ConditionFileNotEmpty=/etc/y', 'ConditionDirectoryNotEmpty=/var/z', 'ConditionPathIsSymbolicLink=/l',
    'ConditionFileIsExecutable=/usr/bin/docker', 'ConditionHost=!core-02', 'ConditionVirtualization=container',
    'ConditionKernelCommandLine=coreos.autologin', 'ConditionEnvironment=HOME=/root', 'AssertPathExists=/run/ok',
    'DefaultDependencies=no', 'StartLimitIntervalSec=30s', 'StartLimitBurst=3', 'StopWhenUnneeded=yes',
    'RefuseManualStart=true', 'RefuseManualStop=on', '[Service]', 'ExecStart=/bin/x', 'StartLimitInterval=1min',
  ].join('\n') + '\n', 'web@8080.service').settings.unit;
  assert.equal(u.description, 'Web on core-01');
  assert.deepEqual(u.documentation, ['man:foo(1)', 'https://example.com/doc']);
  assert.deepEqual([u.requires, u.wants, u.requisite, u.bindsTo, u.partOf, u.conflicts, u.before, u.after], [
    ['a.service'], ['b.service', 'c@8080.service'], ['d.service'], ['e.service'], ['f.target'], ['g.service'], ['h.service'], ['i.service'],
  ]);
  assert.deepEqual(u.conditions.map((c) => `${c.trigger ? '|' : ''}${c.negate ? '!' : ''}${c.kind}=${c.parameter}`), [
    '!PathExists=/etc/x', 'PathExistsGlob=/etc/*.conf', '|PathIsDirectory=/srv', 'FileNotEmpty=/etc/y',
    'DirectoryNotEmpty=/var/z', 'PathIsSymbolicLink=/l', 'FileIsExecutable=/usr/bin/docker', '!Host=core-02',
    'Virtualization=container', 'KernelCommandLine=coreos.autologin', 'Environment=HOME=/root',
  ]);
  assert.deepEqual(u.asserts.map((c) => `${c.kind}=${c.parameter}`), ['PathExists=/run/ok']);
  // The old [Service] StartLimitInterval= spelling (before v230) still sets the [Unit] value.
  assert.deepEqual(
    [u.defaultDependencies, u.startLimitIntervalUsec, u.startLimitBurst, u.stopWhenUnneeded, u.refuseManualStart, u.refuseManualStop],
    [false, 60_000_000, 3, true, true, true],
  );
});

test('settings: [Socket], [Timer] and [Install] (systemd.socket(5), systemd.timer(5), systemd.unit(5))', () => {
  const sock = load('[Socket]\nListenStream=127.0.0.2:49153\nListenStream=/run/fleet.sock\nListenDatagram=[::1]:53\nListenStream=8080\nAccept=no\nService=fleet.service\nSocketMode=0660\nBindIPv6Only=both\n', 'fleet.socket');
  assert.deepEqual(sock.messages, []);
  assert.deepEqual(sock.settings.socket, {
    listen: [
      { kind: 'stream', address: { family: 'inet', host: '127.0.0.2', port: 49153 }, text: '127.0.0.2:49153' },
      { kind: 'stream', address: { family: 'unix', path: '/run/fleet.sock' }, text: '/run/fleet.sock' },
      { kind: 'datagram', address: { family: 'inet6', host: '::1', port: 53 }, text: '[::1]:53' },
      { kind: 'stream', address: { family: 'any', port: 8080 }, text: '8080' },
    ],
    accept: false, service: 'fleet.service', socketMode: 0o660, bindIPv6Only: 'both',
    fileDescriptorName: null, backlog: 4096, removeOnStop: false, triggerLimitIntervalUsec: 2_000_000, triggerLimitBurst: null,
  });
  const bad = load('[Socket]\nListenStream=1.2.3.4:99999\nListenDatagram=abc\nSocketMode=999\nBindIPv6Only=maybe\nService=foo\nService=foo@.service\nListenStream=80\n', 'b.socket');
  assert.deepEqual(bad.messages, [
    '/etc/systemd/system/b.socket:2: Failed to parse address value in \'1.2.3.4:99999\', ignoring: Numerical result out of range',
    '/etc/systemd/system/b.socket:3: Failed to parse address value in \'abc\', ignoring: Invalid argument',
    '/etc/systemd/system/b.socket:4: Failed to parse mode value, ignoring: 999',
    '/etc/systemd/system/b.socket:5: Failed to parse bind IPv6 only value, ignoring: maybe',
    '/etc/systemd/system/b.socket:6: Unit must be of type service, ignoring: foo',
    '/etc/systemd/system/b.socket:7: Failed to load unit foo@.service, ignoring: Unit name foo@.service is missing the instance name.',
  ]);

  const timer = load('[Timer]\nOnCalendar=bogus\nOnBootSec=5x\nOnCalendar=daily\nOnCalendar=Mon *-*-* 10:00\nUnit=foo\nOnBootSec=15min\nOnUnitActiveSec=1h\nOnStartupSec=1\nOnActiveSec=2\nOnUnitInactiveSec=3\nPersistent=yes\nAccuracySec=1us\nRandomizedDelaySec=30s\nUnit=backup.timer\n', 'backup.timer');
  assert.deepEqual(timer.messages, [
    '/etc/systemd/system/backup.timer:2: Failed to parse calendar specification, ignoring: bogus',
    '/etc/systemd/system/backup.timer:3: Failed to parse timer value, ignoring: 5x',
    '/etc/systemd/system/backup.timer:6: Unit type not valid, ignoring: foo',
    '/etc/systemd/system/backup.timer:15: Units cannot trigger themselves, ignoring: backup.timer',
  ]);
  // Only the first valid Unit= counts.
  const two = load('[Timer]\nOnBootSec=1\nUnit=a.service\nUnit=b.service\n', 'two.timer');
  assert.deepEqual(two.messages, ['/etc/systemd/system/two.timer:4: Multiple units to trigger specified, ignoring: b.service']);
  assert.equal(two.settings.timer!.unit, 'a.service');
  const t = timer.settings.timer!;
  assert.deepEqual(t.onCalendar.map(formatCalendar), [normalizeCalendar('daily'), 'Mon *-*-* 10:00:00']);
  assert.deepEqual([t.onBootUsec, t.onUnitActiveUsec, t.onStartupUsec, t.onActiveUsec, t.onUnitInactiveUsec], [[900_000_000], [3_600_000_000], [1_000_000], [2_000_000], [3_000_000]]);
  assert.deepEqual([t.persistent, t.accuracyUsec, t.randomizedDelayUsec, t.unit], [true, 1, 30_000_000, 'backup.service']);
  // An empty OnCalendar= resets all timer values, leaving the timer without any.
  assert.equal(load('[Timer]\nOnBootSec=1\nOnCalendar=\n', 'x.timer').loadState, 'bad-setting');

  const inst = load('[Service]\nExecStart=/bin/x\n[Install]\nWantedBy=multi-user.target\nRequiredBy=a.target b.target\nAlias=web.service\nAlso=web.socket\nDefaultInstance=8080\n', 'web@.service'.replace('@', '@8080')).settings.install;
  assert.deepEqual(inst, { wantedBy: ['multi-user.target'], requiredBy: ['a.target', 'b.target'], alias: ['web.service'], also: ['web.socket'], defaultInstance: '8080' });
});

test('settings: [X-Fleet] options are exposed in order, old X- names included', () => {
  const r = load('[Service]\nExecStart=/bin/x\n[X-Fleet]\nX-Conflicts=web@*.service\nMachineMetadata=region=us "az=us-1"\nGlobal=true\nMachineID=abc\nMachineOf=db.service\nReplaces=old.service\nX-ConditionMachineOf=x.service\n');
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.settings.xFleet.map((o) => [o.key, o.value, o.line]), [
    ['X-Conflicts', 'web@*.service', 4], ['MachineMetadata', 'region=us "az=us-1"', 5], ['Global', 'true', 6],
    ['MachineID', 'abc', 7], ['MachineOf', 'db.service', 8], ['Replaces', 'old.service', 9], ['X-ConditionMachineOf', 'x.service', 10],
  ]);
});

test('settings: dependencies on the unit itself are dropped, some with a notice (systemd-analyze verify 252)', () => {
  for (const key of ['Requires', 'Wants', 'Requisite', 'BindsTo', 'PartOf', 'Conflicts', 'After', 'Before']) {
    const r = load(`[Unit]\n${key}=t.service\nStartLimitBurst=x\n[Service]\nExecStart=/bin/true\n`);
    const notice = ['Conflicts', 'After', 'Before'].includes(key) ? [`t.service: Dependency ${key}=t.service is dropped.`] : [];
    assert.deepEqual(r.messages, [...notice, `${P}:3: Failed to parse unsigned value, ignoring: x`], key);
  }
  assert.deepEqual(load('[Unit]\nAfter=t.service a.service\n[Service]\nExecStart=/bin/true\n').settings.unit.after, ['a.service']);
});

test('settings: an unknown specifier is reported per setting in systemd\'s words (systemd-analyze verify 252)', () => {
  const sock = load('[Socket]\nListenStream=%Z\nService=%Z\nListenStream=80\n', 'sp.socket');
  assert.deepEqual(sock.messages, [
    "/etc/systemd/system/sp.socket:2: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
    '/etc/systemd/system/sp.socket:3: Failed to resolve unit specifiers in %Z, ignoring: Invalid slot',
  ]);
  const timer = load('[Timer]\nOnCalendar=%Z\nUnit=%Z\nOnBootSec=%Z\nOnBootSec=1\n', 'sp.timer');
  assert.deepEqual(timer.messages, [
    "/etc/systemd/system/sp.timer:2: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
    '/etc/systemd/system/sp.timer:3: Failed to resolve unit specifiers in %Z, ignoring: Invalid slot',
    "/etc/systemd/system/sp.timer:4: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
  ]);
  // [Install] is only read by enable, so nothing is reported for WantedBy= at load.
  const svc = load('[Service]\nExecStart=/bin/true\nSockets=%Z\nStandardOutput=file:%Z\nBusName=%Z\n[Unit]\nDocumentation=%Z\n[Install]\nWantedBy=%Z\n', 'sp.service');
  assert.deepEqual(svc.messages, [
    "/etc/systemd/system/sp.service:3: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
    '/etc/systemd/system/sp.service:4: Failed to resolve unit specifiers in %Z, ignoring: Invalid slot',
    '/etc/systemd/system/sp.service:5: Failed to resolve unit specifiers in %Z, ignoring: Invalid slot',
    "/etc/systemd/system/sp.service:7: Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
  ]);
});

test('settings: ExecCondition=, RestartForceExitStatus=, WatchdogSec= (systemd.service(5)); WatchdogSec= makes NotifyAccess=main', () => {
  const r = load('[Service]\nExecCondition=/usr/bin/test -f /etc/ready\nExecCondition=-/bin/false\nExecStart=/bin/x\nRestartForceExitStatus=3 SIGUSR1 BOGUS\nWatchdogSec=30s\n');
  assert.deepEqual(r.messages, [`${P}:5: Failed to parse value, ignoring: BOGUS`]);
  const s = r.settings.service!;
  assert.deepEqual(s.execCondition.map((c) => [c.argv, c.ignoreFailure]), [[['/usr/bin/test', '-f', '/etc/ready'], false], [['/bin/false'], true]]);
  assert.deepEqual(s.restartForceExitStatus, { codes: [3], signals: [10] });
  assert.equal(s.watchdogUsec, 30_000_000);
  assert.equal(s.notifyAccess, 'main');
  const d = load('[Service]\nExecStart=/bin/x\n').settings.service!;
  assert.deepEqual([d.execCondition, d.restartForceExitStatus, d.watchdogUsec, d.notifyAccess], [[], { codes: [], signals: [] }, 0, 'none']);
  assert.deepEqual(load('[Service]\nExecStart=/bin/x\nWatchdogSec=soon\n').messages, [`${P}:3: Failed to parse sec value, ignoring: soon`]);
});

test('settings: [Socket] FileDescriptorName=, Backlog=, RemoveOnStop=, TriggerLimit*= (systemd.socket(5)); CoreOS fleet.socket loads', () => {
  const r = load('[Socket]\nListenStream=/run/x.sock\nFileDescriptorName=api\nBacklog=16\nRemoveOnStop=yes\nTriggerLimitIntervalSec=5s\nTriggerLimitBurst=7\nFileDescriptorName=a:b\nBacklog=-1\n', 'x.socket');
  assert.deepEqual(r.messages, [
    '/etc/systemd/system/x.socket:8: Invalid file descriptor name, ignoring: a:b',
    '/etc/systemd/system/x.socket:9: Failed to parse unsigned value, ignoring: -1',
  ]);
  const s = r.settings.socket!;
  assert.deepEqual([s.fileDescriptorName, s.backlog, s.removeOnStop, s.triggerLimitIntervalUsec, s.triggerLimitBurst], ['api', 16, true, 5_000_000, 7]);
  // fleet.socket as CoreOS shipped it.
  const fleet = load('[Unit]\nDescription=fleet API Socket\nPartOf=fleet.service\n\n[Socket]\nListenStream=/var/run/fleet.sock\n', 'fleet.socket');
  assert.deepEqual([fleet.loadState, fleet.messages], ['loaded', [
    '/etc/systemd/system/fleet.socket:6: ListenStream= references a path below legacy directory /var/run/, updating /var/run/fleet.sock → /run/fleet.sock; please update the unit file accordingly.',
  ]]);
  assert.deepEqual(fleet.settings.socket!.listen, [{ kind: 'stream', address: { family: 'unix', path: '/run/fleet.sock' }, text: '/run/fleet.sock' }]);
  assert.deepEqual(fleet.settings.unit.partOf, ['fleet.service']);
});
