// `coracle node --root DIR`: boots a machine and runs its init in the
// foreground. Boot (src/node/boot.ts) prepares the root as CoreOS's image
// and early boot did; the init then starts default.target, serves the
// control API on <root>/run/coracle/init.sock, and on SIGTERM/SIGINT stops
// every unit in reverse dependency order, then exits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from './io.js';
import { answers, resolveRoot, socketPathOf } from '../init/client.js';
import type { Booted } from '../node/boot.js';
import { PRIVATE_MOUNTS_ENV, privateMountArgv, type PrivateMounts } from '../node/private-mounts.js';

const USAGE = `Usage: coracle node [--root DIR] [--config FILE] [--private-ipv4 IP] [--public-ipv4 IP] [--private-etc] [--private-tmp]

Boots a CoreOS-style machine on a root directory and runs its init in the
foreground. On first boot the root gets etc/machine-id, etc/os-release and
etc/coreos/update.conf; every boot writes etc/environment
(COREOS_PRIVATE_IPV4, COREOS_PUBLIC_IPV4), the units coracle ships
(etcd2, etcd, etcd-member, fleet.socket, fleet, docker, user-cloudinit@,
user-configdrive) under lib/systemd/system. The init then
starts default.target; user-cloudinit@.service applies
usr/share/oem/cloud-config.yml and var/lib/coreos-install/user_data as
coreos-cloudinit did (a broken config is reported in the journal and the
machine boots anyway). The init serves the control API (coracle systemctl,
coracle journalctl) on <root>/run/coracle/init.sock. SIGTERM stops all
units and exits.

Options:
  --root DIR           the machine root (default: $CORACLE_ROOT, else ~/.local/share/coracle/root)
  --config FILE        user-data for this machine (cloud-config or #! script), stored as
                       var/lib/coreos-install/user_data and applied at every boot; an
                       Ignition config is stored as usr/share/oem/config.ign
  --private-ipv4 IP    the machine's private address ($private_ipv4; etcd and fleet bind to it)
                       (default: etc/environment's, else 127.0.0.1)
  --public-ipv4 IP     the machine's public address ($public_ipv4; default: the private one)
  --private-etc        run the machine in its own mount namespace with <root>/etc over /etc,
                       so units that write /etc (ln -sf … /etc/localtime) write the machine's
                       (needs root and unshare(1))
  --private-tmp        likewise with <root>/tmp over /tmp: the machine's own /tmp, as on CoreOS
                       (two machines' units writing the same /tmp path no longer collide;
                       a root under /tmp stays reachable at its path); needs root and unshare(1)
  --quiet              do not echo the init's own log lines to stdout
  -h, --help           show this help

Examples:
  coracle node --root /tmp/m1 --private-ipv4 127.0.0.2 --config cloud-config.yml
  coracle systemctl --root /tmp/m1 status etcd2
  coracle journalctl --root /tmp/m1 -u user-cloudinit@var-lib-coreos\\\\x2dinstall-user_data.service
`;

const OPTIONS = {
  root: { type: 'string' },
  config: { type: 'string' },
  'private-ipv4': { type: 'string' },
  'public-ipv4': { type: 'string' },
  'private-etc': { type: 'boolean' },
  'private-tmp': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Notes of what the outer node did before entering the namespace, for the inner one's journal (JSON array). */
const BOOT_NOTES_ENV = 'CORACLE_BOOT_NOTES';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export async function nodeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('node', USAGE, { args: argv, options: OPTIONS, strict: true });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  for (const flag of ['private-ipv4', 'public-ipv4'] as const) {
    const v = values[flag];
    if (v !== undefined && !IPV4.test(v)) {
      process.stderr.write(`coracle node: --${flag} ${JSON.stringify(v)} is not an IPv4 address\n`);
      return 2;
    }
  }
  if (values.config !== undefined && !fs.existsSync(values.config)) {
    process.stderr.write(`coracle node: --config ${values.config}: no such file\n`);
    return 2;
  }
  const root = resolveRoot(values.root);
  if (await answers(socketPathOf(root))) {
    process.stderr.write(`coracle node: another init is running on ${root} (its control socket answers)\n`);
    return 1;
  }
  const config = values.config !== undefined ? path.resolve(values.config) : undefined;
  const mounts: PrivateMounts = { etc: values['private-etc'] === true, tmp: values['private-tmp'] === true };
  if ((mounts.etc || mounts.tmp) && process.env[PRIVATE_MOUNTS_ENV] !== root) {
    // The config is stored here, where its host path is visible (inside, the
    // machine's /tmp or /etc may hide it); the node then enters the namespace
    // and boots there, in one process, so the first boot and Ignition happen once.
    let notes: string[] = [];
    if (config !== undefined) {
      const { storeConfig } = await import('../node/boot.js');
      try {
        notes = [storeConfig(root, config)];
      } catch (e) {
        process.stderr.write(`coracle node: cannot store --config ${config} in ${root}: ${(e as Error).message}\n`);
        return 1;
      }
    }
    const inner = ['node', '--root', root,
      ...(['private-ipv4', 'public-ipv4'] as const).flatMap((f) => (values[f] !== undefined ? [`--${f}`, values[f]!] : [])),
      ...(values.quiet === true ? ['--quiet'] : [])];
    return runWithPrivateMounts(root, mounts, inner, notes);
  }
  // The init's modules load only here: a node that re-runs itself in its
  // mount namespace above should start and hand over quickly.
  const { applyFirstBootIgnition, bootMachine } = await import('../node/boot.js');
  let booted: Booted;
  try {
    booted = bootMachine({
      root,
      ...(config !== undefined ? { config } : {}),
      ...(values['private-ipv4'] !== undefined ? { privateIpv4: values['private-ipv4'] } : {}),
      ...(values['public-ipv4'] !== undefined ? { publicIpv4: values['public-ipv4'] } : {}),
    });
  } catch (e) {
    process.stderr.write(`coracle node: cannot prepare the machine root ${root}: ${(e as Error).message}\n`);
    return 1;
  }
  // What the node did before it entered its namespace (storing --config).
  booted.notes.unshift(...notesFrom(process.env[BOOT_NOTES_ENV]));
  booted.notes.push(...(await applyFirstBootIgnition(booted)));
  return runInit(root, booted, values.quiet === true);
}

/** Re-runs this command in a new mount namespace where <root>/etc is /etc
 *  and/or <root>/tmp is /tmp (src/node/private-mounts.ts); the inner node
 *  boots the root. unshare and sh exec, so the child is the inner node itself. */
function runWithPrivateMounts(root: string, mounts: PrivateMounts, inner: string[], notes: string[]): Promise<number> {
  const [file, ...args] = privateMountArgv(root, mounts, [process.execPath, process.argv[1]!, ...inner]);
  const flags = [mounts.etc ? '--private-etc' : '', mounts.tmp ? '--private-tmp' : ''].filter(Boolean).join(' ');
  const child = spawn(file!, args, {
    stdio: 'inherit',
    env: { ...process.env, [PRIVATE_MOUNTS_ENV]: root, [BOOT_NOTES_ENV]: JSON.stringify(notes) },
  });
  return new Promise((resolve) => {
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onTerm = forward('SIGTERM');
    const onInt = forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    child.on('error', (e) => {
      process.stderr.write(`coracle node: ${flags} needs unshare(1) and root: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function runInit(root: string, booted: Booted, quiet: boolean): Promise<number> {
  const { InitNode } = await import('../init/node/runtime.js');
  const { ControlServer } = await import('../init/node/api.js');
  let node: InstanceType<typeof InitNode>;
  try {
    node = new InitNode(root, quiet ? {} : { echo: (line) => process.stdout.write(`${line}\n`) });
  } catch (e) {
    process.stderr.write(`coracle node: cannot prepare the machine root ${root}: ${(e as Error).message}\n`);
    return 1;
  }
  const say = (msg: string): void => {
    node.journal.append({ t: Date.now() * 1000, unit: null, pid: process.pid, id: 'coracle', stream: 'init', msg });
    if (!quiet) process.stdout.write(`${msg}\n`);
  };
  say(`Booting ${booted.firstBoot ? 'for the first time' : 'again'}: machine ${booted.machineId}, private ${booted.privateIpv4}, public ${booted.publicIpv4}`);
  for (const n of booted.notes) say(n);
  const server = new ControlServer(node);
  try {
    await server.listen();
  } catch (e) {
    process.stderr.write(`coracle node: cannot listen on ${node.machine.socketPath}: ${(e as Error).message}\n`);
    await node.shutdown();
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void node.shutdown().then(() => server.close()).then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    void node.boot();
  });
}

function notesFrom(json: string | undefined): string[] {
  if (json === undefined) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}
