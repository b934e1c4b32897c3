// The machine root: creates what a first boot creates (etc/machine-id as
// systemd-machine-id-setup does, the runtime and journal dirs, the basic
// targets when the image ships none) and gathers the machine's identity for
// %-specifiers.
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpecifierContext } from '../../units/index.js';

export interface MachineRoot {
  root: string;
  machineId: string;
  bootId: string;
  hostname: string;
  /** Short stable tag for this root (names its cgroup and marker). */
  tag: string;
  runDir: string;
  socketPath: string;
  journalDir: string;
}

const BASIC_TARGETS: Record<string, string> = {
  'multi-user.target': '[Unit]\nDescription=Multi-User System\nDocumentation=man:systemd.special(7)\nAllowIsolate=yes\n',
  'basic.target': '[Unit]\nDescription=Basic System\nDocumentation=man:systemd.special(7)\n',
  'sockets.target': '[Unit]\nDescription=Sockets\nDocumentation=man:systemd.special(7)\n',
  'timers.target': '[Unit]\nDescription=Timers\nDocumentation=man:systemd.special(7)\n',
  'network.target': '[Unit]\nDescription=Network\nDocumentation=man:systemd.special(7)\n',
  'network-online.target': '[Unit]\nDescription=Network is Online\nDocumentation=man:systemd.special(7)\nAfter=network.target\n',
};

/** A valid machine id: 32 lowercase hex digits, not all zero (sd_id128_from_string + machine-id(5)). */
export function isMachineId(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s) && !/^0+$/.test(s);
}

/** A random v4 UUID as 32 hex digits (what sd_id128_randomize() gives). */
export function randomId128(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('hex');
}

/** Reads etc/machine-id, creating it (mode 0444, one line) if absent or empty. */
export function ensureMachineId(root: string): string {
  const file = path.join(root, 'etc/machine-id');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text !== '') {
    if (!isMachineId(text)) throw new Error(`${file}: not a valid machine ID: ${JSON.stringify(text)}`);
    return text;
  }
  const id = randomId128();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, `${id}\n`, { mode: 0o444 });
  fs.renameSync(tmp, file);
  return id;
}

/** The init's short tag for a root: its cgroup directory name and process marker. */
export function rootTag(root: string): string {
  return createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 12);
}

export function prepareRoot(rootArg: string): MachineRoot {
  const root = path.resolve(rootArg);
  fs.mkdirSync(root, { recursive: true });
  for (const d of ['etc/systemd/system', 'run/systemd/system', 'lib/systemd/system', 'run/coracle', 'var/log/journal']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  const lib = path.join(root, 'lib/systemd/system');
  for (const [name, text] of Object.entries(BASIC_TARGETS)) {
    const p = path.join(lib, name);
    if (!fs.existsSync(p)) fs.writeFileSync(p, text);
  }
  const def = path.join(lib, 'default.target');
  if (!fs.existsSync(def) && !isLink(def)) fs.symlinkSync('multi-user.target', def);
  const machineId = ensureMachineId(root);
  const tag = rootTag(root);
  return {
    root, machineId, bootId: randomId128(), hostname: machineHostname(root), tag,
    runDir: path.join(root, 'run/coracle'), socketPath: path.join(root, 'run/coracle/init.sock'), journalDir: path.join(root, 'var/log/journal'),
  };
}

/** %H: the root's etc/hostname (each machine of a one-host cluster has its own), else the host's name. */
export function machineHostname(root: string): string {
  try {
    const name = fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8').split('\n')[0]!.trim();
    if (name !== '') return name;
  } catch {
    // no etc/hostname in this root
  }
  return os.hostname();
}

function isLink(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The specifier values of the system manager on this machine. */
export function specifierContext(m: MachineRoot): SpecifierContext {
  return {
    machineId: m.machineId, bootId: m.bootId, hostname: m.hostname, userName: 'root', uid: 0, groupName: 'root', gid: 0,
    home: '/root', shell: '/bin/sh', runtimeDir: '/run', kernelRelease: os.release(),
    architecture: ARCH[process.arch] ?? process.arch,
  };
}

const ARCH: Record<string, string> = { x64: 'x86-64', arm64: 'arm64', ia32: 'x86', arm: 'arm', ppc64: 'ppc64-le', s390x: 's390x' };
