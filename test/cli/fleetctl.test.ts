// fleetctl end to end against the fleet API (a coracle etcd on 127.0.0.182,
// the API on a machine root's run/fleet.sock and on TCP): what each command
// prints, byte for byte, and its exit code, as fleetctl v1.0.0 does. Each
// expectation below was checked against the real fleetctl v1.0.0 run on the
// same scenario (set FLEETCTL_REAL=/path/to/fleetctl to check again: every
// step then runs both and both must print exactly this).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { addMachine, addUnit, runUnitOn, startFleetApi, type FleetApi } from '../fleet/api-harness.js';
import { actWhen, fleetctl, withoutTimes, type RunOptions } from './fleetctl-harness.js';

const REAL = process.env.FLEETCTL_REAL;
const M1 = '113f16a7c4ff4d57a4b6a4b0b4b7e57a';
const M2 = 'f00dfeedf00dfeedf00dfeedf00dfeed';
let api: FleetApi;
let units: string;

const FILES: Record<string, string> = {
  'hello.service': '# a comment\n[Unit]\nDescription = Hello  \n\n[Service]\nExecStart=/bin/sh -c \\\n  "echo hi; sleep 100"\n[Unit]\nAfter=network.target\n',
  'web@.service': '[Unit]\nDescription=Web %i\n\n[Service]\nExecStart=/bin/sleep 1000\n\n[X-Fleet]\nConflicts=web@*.service\n',
  'g.service': '[Service]\nExecStart=/bin/sleep 1000\n\n[X-Fleet]\nGlobal=true\n',
  'odd.service': '[Service]\nExecStart=/bin/true\n\n[X-Fleet]\nFoo=bar\n',
  'bad.service': '[Service]\nExecStart=/bin/true\n\n[X-Fleet]\nMachineID=abc\nConflicts=x*\n',
};

before(async () => {
  api = await startFleetApi('127.0.0.182');
  units = path.join(api.dir, 'units');
  fs.mkdirSync(units);
  for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(units, name), text);
});
after(async () => {
  await api?.stop();
});

interface Expect {
  stdout: string;
  stderr?: string;
  code: number;
}

interface Step {
  args: string[];
  expect: Expect;
  env?: Record<string, string>;
  cwd?: string;
  /** Runs while the command runs (the cluster's part). */
  react?: () => Promise<unknown>;
  /** Where coracle deliberately differs from fleetctl v1.0.0 (not compared with the real one). */
  oursOnly?: boolean;
}

/** Default environment: the machine root, so the default endpoint finds <root>/run/fleet.sock. */
const baseEnv = (): Record<string, string> => ({ CORACLE_ROOT: api.root });

async function machines(): Promise<void> {
  await addMachine(api, M1, '10.0.0.3', { region: 'us', az: 'us-west-1b' });
  await addMachine(api, M2, '10.0.0.4');
}

/** Runs the steps with our fleetctl (and the real one when $FLEETCTL_REAL is set), from the same starting state. */
async function scenario(setup: () => Promise<void>, steps: Step[]): Promise<void> {
  for (const real of REAL !== undefined ? [undefined, REAL] : [undefined]) {
    await api.reset();
    await setup();
    for (const s of steps) {
      if (real !== undefined && s.oursOnly === true) continue;
      // The real fleetctl knows no machine root: it gets the same socket through FLEETCTL_ENDPOINT.
      const realEnv: Record<string, string> = real !== undefined ? { FLEETCTL_ENDPOINT: `unix://${api.socket}` } : {};
      const o: RunOptions = { env: { ...baseEnv(), ...realEnv, ...s.env }, cwd: s.cwd ?? units };
      if (real !== undefined) o.real = real;
      const [r] = await Promise.all([fleetctl(s.args, o), s.react?.()]);
      const who = `${real !== undefined ? 'real' : 'ours'}: fleetctl ${s.args.join(' ')}`;
      assert.equal(r.stdout, s.expect.stdout, `${who}: stdout`);
      assert.equal(withoutTimes(r.stderr), s.expect.stderr ?? '', `${who}: stderr`);
      assert.equal(r.code, s.expect.code, `${who}: exit code`);
    }
  }
}

test('list-machines: tab-aligned table, --full, --no-legend, --fields and its errors', async () => {
  await scenario(async () => {}, [{ args: ['list-machines'], expect: { stdout: 'MACHINE\tIP\tMETADATA\n', code: 0 } }]);
  await scenario(machines, [
    { args: ['list-machines'], expect: { stdout: 'MACHINE\t\tIP\t\tMETADATA\n113f16a7...\t10.0.0.3\taz=us-west-1b,region=us\nf00dfeed...\t10.0.0.4\t-\n', code: 0 } },
    { args: ['list-machines', '--full', '--no-legend'], expect: { stdout: `${M1}\t10.0.0.3\taz=us-west-1b,region=us\n${M2}\t10.0.0.4\t-\n`, code: 0 } },
    { args: ['list-machines', '--l', '--fields=ip,machine'], expect: { stdout: `IP\t\tMACHINE\n10.0.0.3\t${M1}\n10.0.0.4\t${M2}\n`, code: 0 } },
    { args: ['list-machines', '--fields', 'machine,disk'], expect: { stdout: '', stderr: 'Invalid key in output format: "disk"\n', code: 1 } },
    { args: ['list-machines', '--fields='], expect: { stdout: '', stderr: 'Must define output format\n', code: 1 } },
  ]);
});

test('list-units and list-unit-files: machines as id.../ip, global units, hashes, dstate/state', async () => {
  await scenario(
    async () => {
      await machines();
      await addUnit(api, 'hello.service', FILES['hello.service']!, 'launched');
      await runUnitOn(api, 'hello.service', M1);
      const g = await addUnit(api, 'g.service', FILES['g.service']!, 'launched');
      for (const m of [M1, M2]) await api.reg.saveUnitState({ name: 'g.service', machineID: m, loadState: 'loaded', activeState: 'active', subState: 'running', hash: g }, 300);
      await addUnit(api, 'web@.service', FILES['web@.service']!);
      await addUnit(api, 'web@1.service', FILES['web@.service']!, 'loaded');
    },
    [
      {
        args: ['list-units'],
        expect: {
          stdout:
            'UNIT\t\tMACHINE\t\t\tACTIVE\tSUB\ng.service\t113f16a7.../10.0.0.3\tactive\trunning\ng.service\tf00dfeed.../10.0.0.4\tactive\trunning\nhello.service\t113f16a7.../10.0.0.3\tactive\trunning\n',
          code: 0,
        },
      },
      {
        args: ['list-units', '--no-legend', '--fields', 'unit,hash,load', '--full'],
        expect: { stdout: 'g.service\t627317e4568b10c95c9ba4900ee65803584fb893\tloaded\ng.service\t627317e4568b10c95c9ba4900ee65803584fb893\tloaded\nhello.service\tbfd6f51aaca279b13b846755db239bedbe3fb6d1\tloaded\n', code: 0 },
      },
      {
        args: ['list-unit-files'],
        expect: {
          stdout:
            'UNIT\t\tHASH\tDSTATE\t\tSTATE\t\tTARGET\ng.service\t627317e\tlaunched\t-\t\tglobal\nhello.service\tbfd6f51\tlaunched\tlaunched\t113f16a7.../10.0.0.3\nweb@.service\t045cc8f\tinactive\tinactive\t-\nweb@1.service\t045cc8f\tloaded\t\tinactive\t-\n',
          code: 0,
        },
      },
      {
        args: ['list-unit-files', '--fields=unit,global,desc,tmachine', '--no-legend'],
        expect: {
          stdout: 'g.service\ttrue\t-\tglobal\nhello.service\tfalse\tHello\t113f16a7.../10.0.0.3\nweb@.service\tfalse\tWeb %i\t-\nweb@1.service\tfalse\tWeb %i\t-\n',
          stderr: 'WARNING: The "tmachine" field is deprecated. Use "target" instead\n',
          code: 0,
        },
      },
    ],
  );
});

test('cat prints the re-serialized unit (comments gone, sections merged) with no newline added', async () => {
  await scenario(async () => void (await addUnit(api, 'hello.service', FILES['hello.service']!)), [
    {
      args: ['cat', 'hello'],
      expect: { stdout: '[Unit]\nDescription=Hello\nAfter=network.target\n\n[Service]\nExecStart=/bin/sh -c \\\n  "echo hi; sleep 100"\n', code: 0 },
    },
    { args: ['cat', 'nope.service'], expect: { stdout: '', stderr: 'Unit nope.service not found\n', code: 1 } },
    { args: ['cat'], expect: { stdout: '', stderr: 'One unit file must be provided\n', code: 1 } },
  ]);
});

test('submit: local files, templates and instances from the working directory or the registry, warnings, --replace', async () => {
  const other = path.join(api.dir, 'elsewhere');
  fs.mkdirSync(other, { recursive: true });
  fs.writeFileSync(path.join(other, 'hello.service'), '[Service]\nExecStart=/bin/sleep 5\n');
  await scenario(async () => {}, [
    { args: ['submit', 'hello.service', 'web@.service'], expect: { stdout: 'Unit hello.service inactive\nUnit web@.service inactive\n', code: 0 } },
    // an instance from the template file next to it
    { args: ['submit', 'web@1.service'], expect: { stdout: 'Unit web@1.service inactive\n', code: 0 } },
    // an instance from the submitted template, in a directory without it
    { args: ['submit', 'web@2'], cwd: other, expect: { stdout: 'Unit web@2.service inactive\n', code: 0 } },
    // a global unit has no current state: "Unit g.service " with a trailing space
    { args: ['submit', 'g.service'], expect: { stdout: 'Unit g.service \n', code: 0 } },
    { args: ['submit', 'odd.service'], expect: { stdout: 'Unit odd.service inactive\n', stderr: '<time> WARN fleetctl.go:674: Unit odd.service: unrecognized requirement in [X-Fleet] section: "Foo"\n', code: 0 } },
    // already there: nothing to do
    { args: ['submit', 'hello.service'], expect: { stdout: '', code: 0 } },
    {
      args: ['submit', 'hello.service'],
      cwd: other,
      expect: { stdout: '', stderr: 'WARNING: Unit hello.service in registry differs from local unit file hello.service. Add --replace to override.\n', code: 0 },
    },
    { args: ['submit', '--replace', 'hello.service'], cwd: other, expect: { stdout: 'Unit hello.service inactive\n', code: 0 } },
    { args: ['cat', 'hello.service'], expect: { stdout: '[Service]\nExecStart=/bin/sleep 5\n', code: 0 } },
    { args: ['submit', '--replace', 'hello.service'], cwd: other, expect: { stdout: 'Found same Unit(hello.service) in Registry, nothing to do\n', code: 0 } },
    { args: ['submit', 'missing.service'], expect: { stdout: '', stderr: 'Error creating units: unable to find Unit(missing.service) in Registry or on filesystem\n', code: 1 } },
    { args: ['submit', 'api@1.service'], expect: { stdout: '', stderr: 'Error creating units: failed getting Unit(api@1.service) from template: unable to find template Unit(api@.service) in Registry or on filesystem\n', code: 1 } },
    { args: ['submit', 'bad.service'], expect: { stdout: '', stderr: 'Error creating units: MachineID cannot be used with Conflicts\n', code: 1 } },
    { args: ['submit'], expect: { stdout: '', stderr: 'No units given\n', code: 0 } },
  ]);
});

test('start: waits for launched, prints the machine, checks systemd\'s state for 2 s; global and --no-block units are triggered', async () => {
  await scenario(machines, [
    {
      args: ['start', 'hello.service'],
      react: () => actWhen(api, 'hello.service', 'launched', M1),
      expect: { stdout: 'Unit hello.service inactive\nUnit hello.service launched on 113f16a7.../10.0.0.3\n', code: 0 },
    },
    // already launched: nothing to trigger or wait for
    { args: ['start', 'hello.service'], expect: { stdout: '', code: 0 } },
    { args: ['start', 'g.service'], expect: { stdout: 'Unit g.service \nTriggered global unit g.service start\n', code: 0 } },
    { args: ['start', '--no-block', 'web@1.service'], expect: { stdout: 'Unit web@1.service inactive\nTriggered unit web@1.service start\nTriggered unit web@1.service start\n', code: 0 } },
    {
      // placed and launched, but systemd never reports it active within 2 s
      args: ['start', 'web@2.service'],
      react: () => actWhen(api, 'web@2.service', 'launched', M2, { active: 'activating' }),
      expect: {
        stdout: 'Unit web@2.service inactive\nUnit web@2.service launched on f00dfeed.../10.0.0.4\n',
        stderr:
          'Error waiting for units: Failed to find an active unit web@2.service within 2s, err: Failed to fetch states within 2s\nError waiting for systemd unit states, err: Failed to find an active unit web@2.service within 2s, err: Failed to fetch states within 2s\n',
        code: 1,
      },
    },
    { args: ['start', 'web@.service'], expect: { stdout: 'Unit web@.service inactive\n', stderr: 'Error starting units: googleapi: Error 400: cannot activate template "web@.service"\n', code: 1 } },
  ]);
});

test('load, stop, unload, destroy and restart with fleetctl\'s messages and exit codes', async () => {
  await scenario(machines, [
    {
      args: ['load', 'hello'],
      react: () => actWhen(api, 'hello.service', 'loaded', M1),
      expect: { stdout: 'Unit hello.service inactive\nUnit hello.service loaded on 113f16a7.../10.0.0.3\n', code: 0 },
    },
    { args: ['stop', 'hello.service'], expect: { stdout: '', stderr: 'Successfully stopped units [].\n', code: 0 } },
    {
      args: ['start', 'hello.service'],
      react: () => actWhen(api, 'hello.service', 'launched', M1),
      expect: { stdout: 'Unit hello.service launched on 113f16a7.../10.0.0.3\n', code: 0 },
    },
    {
      args: ['stop', 'hello.service', 'nope.service'],
      react: () => actWhen(api, 'hello.service', 'loaded', M1),
      expect: { stdout: 'Unit hello.service loaded on 113f16a7.../10.0.0.3\n', stderr: 'Successfully stopped units [hello.service].\n', code: 0 },
    },
    { args: ['stop', 'nope.service'], expect: { stdout: '', stderr: 'Units not found in registry\n', code: 0 } },
    {
      args: ['unload', 'hello.service'],
      react: () => actWhen(api, 'hello.service', 'inactive', M1),
      expect: { stdout: 'Unit hello.service inactive\n', stderr: 'Successfully unloaded units [hello.service].\n', code: 0 },
    },
    { args: ['stop', 'hello.service'], expect: { stdout: '', stderr: 'Unable to stop unit hello.service in state inactive\n', code: 1 } },
    { args: ['restart', 'hello.service'], expect: { stdout: '', stderr: 'Unable to restart unit hello.service in state inactive\n', code: 0 } },
    {
      // nothing places it: one 2 s attempt, then fleetctl gives up
      args: ['load', '--block-attempts=1', 'hello.service'],
      expect: {
        stdout: '',
        stderr: 'Error waiting for units: timed out waiting for unit hello.service to report state loaded\nError waiting for unit states, exit status: timed out waiting for unit hello.service to report state loaded\n',
        code: 1,
      },
    },
    { args: ['submit', 'g.service'], expect: { stdout: 'Unit g.service \n', code: 0 } },
    { args: ['load', 'g.service'], expect: { stdout: 'Triggered global unit g.service load\n', code: 0 } },
    { args: ['stop', 'g.service'], expect: { stdout: 'Triggered global unit g.service stop\n', stderr: 'Successfully stopped units [].\n', code: 0 } },
    { args: ['unload', 'g.service'], expect: { stdout: 'Triggered global unit g.service unload\n', stderr: 'Successfully unloaded units [].\n', code: 0 } },
    { args: ['destroy', 'hello.service', 'g.service', 'nope.service'], expect: { stdout: 'Destroyed hello.service\nDestroyed g.service\n', code: 0 } },
    { args: ['destroy', 'hello.service'], expect: { stdout: '', stderr: 'Units not found in registry\n', code: 0 } },
    { args: ['list-unit-files'], expect: { stdout: 'UNIT\tHASH\tDSTATE\tSTATE\tTARGET\n', code: 0 } },
  ]);
});

test('restart: launched → loaded → launched (coracle waits for each state it sets; fleetctl v1.0.0 waited for launched twice and hung)', async () => {
  await scenario(
    async () => {
      await machines();
      await addUnit(api, 'hello.service', FILES['hello.service']!, 'launched');
      await runUnitOn(api, 'hello.service', M1);
    },
    [
      {
        args: ['restart', 'hello.service'],
        react: async () => {
          await actWhen(api, 'hello.service', 'loaded', M1);
          await actWhen(api, 'hello.service', 'launched', M1);
        },
        oursOnly: true,
        expect: {
          stdout: 'Unit hello.service loaded on 113f16a7.../10.0.0.3\nUnit hello.service launched on 113f16a7.../10.0.0.3\n',
          stderr: '<time> INFO restart.go:100: Unit(hello.service) was restarted.\n',
          code: 0,
        },
      },
    ],
  );
});

test('endpoints: the root\'s run/fleet.sock by default, FLEETCTL_ENDPOINT, --endpoint over it, http, the etcd driver, and errors', async () => {
  const noRoot = { CORACLE_ROOT: '' };
  await scenario(machines, [
    // coracle: the default endpoint unix:///var/run/fleet.sock is the root's run/fleet.sock
    { args: ['list-machines', '--no-legend', '--fields=ip'], oursOnly: true, expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    { args: ['list-machines', '--no-legend', '--fields=ip'], env: { ...noRoot, FLEETCTL_ENDPOINT: api.tcpURL }, expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    { args: ['--endpoint', `unix://${api.socket}`, 'list-machines', '--no-legend', '--fields=ip'], env: { ...noRoot, FLEETCTL_ENDPOINT: 'http://127.0.0.182:1' }, expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    { args: ['--driver=etcd', `--endpoint=${api.etcdURL}`, 'list-machines', '--no-legend', '--fields=ip'], env: noRoot, expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    { args: ['list-machines', '--no-legend', '--fields=ip'], env: { ...noRoot, FLEETCTL_DRIVER: 'etcd', FLEETCTL_ENDPOINT: `${api.etcdURL},http://127.0.0.182:4001` }, expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    {
      args: ['--endpoint', `${api.tcpURL},http://127.0.0.182:2`, 'list-machines', '--no-legend', '--fields=ip'],
      env: noRoot,
      expect: { stdout: '10.0.0.3\n10.0.0.4\n', stderr: `<time> WARN fleetctl.go:332: multiple endpoints provided but only the first (${api.tcpURL}) is used\n`, code: 0 },
    },
    { args: ['--endpoint', 'unix://var/run/fleet.sock', 'list-units'], expect: { stdout: '', stderr: 'Unable to initialize client: unable to connect to host "var" with scheme "unix"\n', code: 1 } },
    { args: ['--endpoint', '/var/run/fleet.sock', 'list-units'], expect: { stdout: '', stderr: 'Unable to initialize client: URL scheme undefined\n', code: 1 } },
    { args: ['--driver', 'bogus', 'list-units'], expect: { stdout: '', stderr: 'Unable to initialize client: unrecognized driver "bogus"\n', code: 1 } },
  ]);
});

test('command line: prefixes, unknown commands and flags (usage, exit 0, as cobra), version', async () => {
  await scenario(machines, [
    { args: ['list-m', '--no-legend', '--fields=ip'], expect: { stdout: '10.0.0.3\n10.0.0.4\n', code: 0 } },
    { args: ['version'], expect: { stdout: 'fleetctl version 1.0.0\n', code: 0 } },
    { args: ['-v'], expect: { stdout: 'fleetctl version 1.0.0\n', code: 0 } },
    { args: ['frob'], expect: { stdout: '', stderr: 'Error: unknown command "frob" for "fleetctl"\nRun \'fleetctl --help\' for usage.\ncannot execute cmdFleet: unknown command "frob" for "fleetctl"\n', code: 0 } },
    { args: ['verify', 'x.service'], expect: { stdout: '', stderr: 'Command "verify" is deprecated, DEPRECATED - No longer works\nWARNING: The signed/verified units feature is DEPRECATED and cannot be used.\n', code: 2 } },
  ]);
  // usage texts are long: check their shape and the error lines around them
  const r = await fleetctl(['list-units', '-l'], { env: baseEnv() });
  assert.equal(r.code, 0);
  assert.equal(r.stderr, "Error: unknown shorthand flag: 'l' in -l\n\ncannot execute cmdFleet: unknown shorthand flag: 'l' in -l\n");
  assert.ok(r.stdout.startsWith('NAME:\n\tlist-units - List the current state of units in the cluster\n\nUSAGE:\n\tfleetctl list-units [--no-legend] [-l|--full] [--fields]\n\nDESCRIPTION:\n'));
  assert.ok(r.stdout.includes('\nOPTIONS:\n      --fields string   Columns to print for each Unit. Valid fields are "active,hash,load,machine,sub,unit" (default "unit,machine,active,sub")\n'));
  const h = await fleetctl(['--help'], { env: baseEnv() });
  assert.ok(h.stdout.includes('\nCOMMANDS:\n\tcat\t\tOutput the contents of a submitted unit\n'));
  assert.ok(!h.stdout.includes('--root'));
  // no arguments: cobra's default help, not fleetctl's template
  const bare = await fleetctl([], { env: baseEnv() });
  assert.ok(bare.stdout.startsWith('fleetctl is a command-line interface to fleet, the cluster-wide CoreOS init system.\n\nUsage:\n  fleetctl [flags]\n  fleetctl [command]\n\nAvailable Commands:\n  cat             Output the contents of a submitted unit\n'));
  assert.ok(bare.stdout.endsWith('\nUse "fleetctl [command] --help" for more information about a command.\n'));
  if (REAL !== undefined) {
    const lines: string[][] = [[], ['--help'], ['help', 'start'], ['start', '--help'], ['list-units', '-l'], ['cat', '--bogus']];
    for (const args of lines) {
      const ours = await fleetctl(args, { env: baseEnv() });
      const theirs = await fleetctl(args, { real: REAL });
      assert.deepEqual(ours, theirs, args.join(' '));
    }
  }
});

test('status and journal: fleetctl\'s refusals for missing, inactive and global units', async () => {
  await scenario(
    async () => {
      await machines();
      await addUnit(api, 'hello.service', FILES['hello.service']!);
      await addUnit(api, 'g.service', FILES['g.service']!, 'launched');
    },
    [
      { args: ['status', 'nope.service'], expect: { stdout: '', stderr: 'Unit nope.service does not exist.\n', code: 1 } },
      { args: ['status', 'hello'], expect: { stdout: '', stderr: 'Unit hello.service does not appear to be loaded.\n', code: 1 } },
      // global units carry no machine: nothing is run for them
      { args: ['status', 'g.service'], expect: { stdout: '', code: 0 } },
      { args: ['journal', 'nope'], expect: { stdout: '', stderr: 'Unit nope.service does not exist.\n', code: 1 } },
      { args: ['journal', 'hello.service'], expect: { stdout: '', stderr: 'Unit hello.service does not appear to be running.\n', code: 1 } },
      { args: ['journal', 'g.service'], expect: { stdout: '', stderr: 'Unable to retrieve journal of global unit g.service.\n', code: 1 } },
      { args: ['journal'], expect: { stdout: '', stderr: 'One unit file must be provided.\n', code: 1 } },
    ],
  );
});

test('the etcd driver reads and writes the same registry the API serves', async () => {
  const etcd = (): Record<string, string> => ({ FLEETCTL_DRIVER: 'etcd', FLEETCTL_ENDPOINT: api.etcdURL, CORACLE_ROOT: '' });
  await scenario(machines, [
    { args: ['submit', 'hello.service', 'web@1.service'], env: etcd(), expect: { stdout: 'Unit hello.service inactive\nUnit web@1.service inactive\n', code: 0 } },
    { args: ['list-unit-files', '--no-legend'], expect: { stdout: 'hello.service\tbfd6f51\tinactive\tinactive\t-\nweb@1.service\t045cc8f\tinactive\tinactive\t-\n', code: 0 } },
    { args: ['cat', 'web@1'], env: etcd(), expect: { stdout: FILES['web@.service']!, code: 0 } },
    {
      args: ['start', 'hello.service'],
      env: etcd(),
      react: () => actWhen(api, 'hello.service', 'launched', M2),
      expect: { stdout: 'Unit hello.service launched on f00dfeed.../10.0.0.4\n', code: 0 },
    },
    { args: ['list-units', '--no-legend'], env: etcd(), expect: { stdout: 'hello.service\tf00dfeed.../10.0.0.4\tactive\trunning\n', code: 0 } },
    { args: ['destroy', 'hello.service', 'web@1.service'], env: etcd(), expect: { stdout: 'Destroyed hello.service\nDestroyed web@1.service\n', code: 0 } },
    { args: ['list-unit-files', '--no-legend'], expect: { stdout: '', code: 0 } },
  ]);
});
