// What a CoreOS machine's image and early boot did before systemd started
// the units, done on a machine root: the first boot
// creates etc/machine-id, etc/os-release and etc/coreos/update.conf,
// etc/environment carries COREOS_PRIVATE_IPV4/COREOS_PUBLIC_IPV4 (what
// coreos-setup-environment wrote from the platform's metadata), the image's
// units sit in lib/systemd/system, and a config given with --config lands
// where coreos-install put it (var/lib/coreos-install/user_data), so
// user-cloudinit@.service applies it on every boot.
import fs from 'node:fs';
import path from 'node:path';
import { ensureMachineId } from '../init/node/root.js';
// detect.js and render.js, not cloudinit/index.js: boot runs in every
// machine's start and need not load the YAML parser.
import { detectUserData } from '../cloudinit/detect.js';
import { mergeEnvironment } from '../cloudinit/render.js';
import { translateEtcdWrapper } from './etcd-wrapper.js';
import { coracleArgv, helpersArgv, PACKAGE_JSON } from './paths.js';
import { shippedUnits, USER_DATA_PATHS } from './units.js';

export interface BootOptions {
  root: string;
  /** User-data (cloud-config, script) or an Ignition config to give the machine. */
  config?: string;
  privateIpv4?: string;
  publicIpv4?: string;
}

export interface Booted {
  root: string;
  machineId: string;
  firstBoot: boolean;
  privateIpv4: string;
  publicIpv4: string;
  /** What boot did that the journal should say. */
  notes: string[];
}

export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
}

/** etc/os-release naming coracle (os-release(5) fields). */
export function osRelease(version: string): string {
  return [
    'NAME="coracle"',
    'ID=coracle',
    'ID_LIKE=coreos',
    `VERSION=${version}`,
    `VERSION_ID=${version}`,
    `PRETTY_NAME="coracle ${version} (a CoreOS-style machine)"`,
    'ANSI_COLOR="38;5;75"',
    'HOME_URL="https://github.com/coracle"',
    '',
  ].join('\n');
}

/** The update.conf a fresh CoreOS install had: the stable channel. */
export const DEFAULT_UPDATE_CONF = 'GROUP=stable\n';

function writeIfChanged(file: string, text: string, mode = 0o644): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // absent: write it
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.coracle-tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Addresses from etc/environment when no flag gives them (a reboot keeps them). */
function environmentValue(text: string | undefined, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text ?? '');
  return m ? m[1]!.trim() : undefined;
}

/** Prepares the root for the init. The caller has made sure no init runs on it. */
export function bootMachine(o: BootOptions): Booted {
  const root = path.resolve(o.root);
  const notes: string[] = [];
  fs.mkdirSync(root, { recursive: true });
  const firstBoot = !fs.existsSync(path.join(root, 'etc/machine-id'));
  // /run is a tmpfs on a real machine: every boot starts with it empty, so
  // nothing of the last boot (runtime drop-ins and units, fleet's unit files,
  // transient units, sockets) outlives it. The cloud-config rewrites its
  // runtime drop-ins and fleet its units.
  fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'run'), { mode: 0o755 });
  const machineId = ensureMachineId(root);
  writeIfChanged(path.join(root, 'etc/os-release'), osRelease(packageVersion()));
  const updateConf = path.join(root, 'etc/coreos/update.conf');
  if (!fs.existsSync(updateConf)) writeIfChanged(updateConf, DEFAULT_UPDATE_CONF);

  const envFile = path.join(root, 'etc/environment');
  const oldEnv = readText(envFile);
  const privateIpv4 = o.privateIpv4 ?? environmentValue(oldEnv, 'COREOS_PRIVATE_IPV4') ?? '127.0.0.1';
  const publicIpv4 = o.publicIpv4 ?? environmentValue(oldEnv, 'COREOS_PUBLIC_IPV4') ?? privateIpv4;
  const pending = new Map<string, string>([
    ['COREOS_PRIVATE_IPV4', privateIpv4],
    ['COREOS_PUBLIC_IPV4', publicIpv4],
  ]);
  writeIfChanged(envFile, mergeEnvironment(oldEnv ?? '', pending));

  if (o.config !== undefined) {
    const bytes = fs.readFileSync(o.config);
    const kind = detectUserData(bytes).kind;
    if (kind === 'ignition') {
      // coreos.config.url=oem:///config.ign: kept where the OEM partition had it.
      const target = path.join(root, 'usr/share/oem/config.ign');
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, bytes);
      notes.push(`Ignition config ${o.config} copied to /usr/share/oem/config.ign`);
    } else {
      const target = path.join(root, USER_DATA_PATHS[1]);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, bytes, { mode: 0o600 });
      notes.push(`User-data ${o.config} (${kind}) copied to ${USER_DATA_PATHS[1]}`);
    }
  }

  const lib = path.join(root, 'lib/systemd/system');
  fs.mkdirSync(lib, { recursive: true });
  const units = shippedUnits({ root, privateIpv4, publicIpv4, coracle: coracleArgv(), helpers: helpersArgv() });
  for (const [name, text] of Object.entries(units.files)) writeIfChanged(path.join(lib, name), text);
  for (const l of units.links) {
    const p = path.join(lib, l.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.rmSync(p, { force: true });
    fs.symlinkSync(l.target, p);
  }
  notes.push(...translateEtcdWrapper(root));
  return { root, machineId, firstBoot, privateIpv4, publicIpv4, notes };
}

export const IGNITION_CONFIG = 'usr/share/oem/config.ign';

/** Ignition runs once, on the first boot, before the init (as in the
 *  initramfs): files, units (enabled as links) and users. Returns log lines. */
export async function applyFirstBootIgnition(b: Booted): Promise<string[]> {
  const file = path.join(b.root, IGNITION_CONFIG);
  if (!b.firstBoot || !fs.existsSync(file)) return [];
  const lines: string[] = [];
  const { applyConfigToMachine } = await import('../cloudinit/machine.js');
  const r = await applyConfigToMachine({
    root: b.root,
    config: fs.readFileSync(file),
    initSocket: null,
    forceFirstBoot: true,
    metadata: { privateIPv4: b.privateIpv4, publicIPv4: b.publicIpv4 },
    log: (l) => lines.push(`ignition: ${l}`),
  });
  if (r.error) lines.push(`ignition: failed: ${r.error}`);
  else lines.push(`ignition: applied /${IGNITION_CONFIG} (${r.written.length} files, ${r.actions.length} unit actions)`);
  lines.push(...translateEtcdWrapper(b.root));
  return lines;
}
