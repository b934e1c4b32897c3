// `coracle cloudinit`: coreos-cloudinit's command line over a machine root.
// Argument handling and output only; the work is in src/cloudinit/.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from './io.js';
import { resolveRoot, socketPathOf } from '../init/client.js';
import { formatEntry, reportToJson, validateExitCode, validateUserData } from '../cloudinit/index.js';
import { applyConfigToMachine, exitCodeOf, httpFetcher, type MachineMetadata } from '../cloudinit/machine.js';

const USAGE = `Usage: coracle cloudinit [--root DIR] SOURCE [options]

Applies user-data to a machine root as coreos-cloudinit did: a #cloud-config
(hostname, users, SSH keys, write_files, etcd2/fleet/locksmith/update, units),
a "#!" script (run as a transient oneshot unit), or an Ignition config
(applied once, on the machine's first boot: the root holds boot/coreos/first_boot).
Files go into the root; unit enables and commands go to the init running on it
(<root>/run/coracle/init.sock), in order, after a daemon-reload.

Sources (at least one; the first that has user-data wins):
  --from-file PATH          read user-data from a file
  --from-url URL            fetch user-data over http(s)
  --from-configdrive DIR    a config drive: DIR/openstack/latest/user_data (+ meta_data.json)
  --from-proc-cmdline       the URL in cloud-config-url= on <root>/proc/cmdline (else /proc/cmdline)
  --oem NAME                a preset of the above (ec2-compat, rackspace-onmetal: the
                            root's media/configdrive; others need a metadata service)

Options:
  --root DIR                the machine root (default: $CORACLE_ROOT, else ~/.local/share/coracle/root)
  --validate                only validate; print the report, exit 1 if it has any entry
  --output text|json        report format (validate: entries; apply: what was done)
  --private-ipv4 ADDR       value of $private_ipv4 (else COREOS_PRIVATE_IPV4 in <root>/etc/environment, else empty)
  --public-ipv4 ADDR        value of $public_ipv4 (likewise)
  --private-ipv6 ADDR       value of $private_ipv6
  --public-ipv6 ADDR        value of $public_ipv6
  --ssh-key-name NAME       key set name in authorized_keys.d (default coreos-cloudinit)
  --workspace DIR           root-relative dir for scripts (default var/lib/coreos-cloudinit)
  --ignore-failure          exit 0 when the user-data is malformed or cannot be fetched
  --no-init                 prepare the root offline: enables become links, commands
                            are listed as not run, exit 0
  --first-boot              apply an Ignition config even without the first-boot marker
  --local-address ADDR      source address for http(s) fetches
  --version                 print the version
  -h, --help                show this help

Exit status: 0 applied (or valid); 1 validation entries, an apply error, malformed
user-data (unless --ignore-failure) or commands no init could run; 2 usage.

Examples:
  coracle cloudinit --validate --from-file cloud-config.yml
  coracle cloudinit --validate --output json --from-file cloud-config.yml
  coracle cloudinit --root /tmp/m1 --from-file cloud-config.yml --private-ipv4 127.0.0.2
  coracle cloudinit --root /tmp/m1 --from-url http://127.0.0.1:8080/user-data
  coracle cloudinit --root /tmp/m1 --no-init --from-file cloud-config.yml   # before the first boot
`;

const SOURCES = '--from-file, --from-configdrive, --from-ec2-metadata, --from-gce-metadata, --from-cloudsigma-metadata, --from-packet-metadata, --from-digitalocean-metadata, --from-vmware-guestinfo, --from-waagent, --from-url or --from-proc-cmdline';

/** The original's -oem presets; only config drives exist on a coracle machine. */
const OEMS: Record<string, { configdrive?: string; needs?: string }> = {
  digitalocean: { needs: 'the DigitalOcean metadata service' },
  'ec2-compat': { configdrive: 'media/configdrive' },
  gce: { needs: 'the GCE metadata service' },
  'rackspace-onmetal': { configdrive: 'media/configdrive' },
  azure: { needs: 'the Azure agent (waagent)' },
  cloudsigma: { needs: 'the CloudSigma metadata service' },
  packet: { needs: 'the Packet metadata service' },
  vmware: { needs: 'VMware guestinfo' },
};

/** Go's log prefix: "2006/01/02 15:04:05 ". */
function goLog(line: string): void {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  process.stderr.write(`${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${line}\n`);
}

/** Go's flag package takes -name as well as --name. */
function normalizeArgs(argv: string[]): string[] {
  return argv.map((a) => (/^-[a-z][a-z0-9]+-?[a-z0-9-]*(=.*)?$/.test(a) && a !== '-h' ? `-${a}` : a));
}

interface Fetched {
  bytes?: Uint8Array;
  metadata: MachineMetadata;
  type: string;
  error?: string;
}

function readConfigDrive(dir: string): Fetched {
  const md: MachineMetadata = {};
  const read = (p: string): Buffer | undefined => {
    try {
      return fs.readFileSync(path.join(dir, p));
    } catch {
      return undefined;
    }
  };
  try {
    const meta = JSON.parse(read('openstack/latest/meta_data.json')?.toString('utf8') ?? '{}') as { hostname?: string; public_keys?: Record<string, string> };
    if (typeof meta.hostname === 'string') md.hostname = meta.hostname;
    if (meta.public_keys && typeof meta.public_keys === 'object') md.sshKeys = Object.values(meta.public_keys).filter((k) => typeof k === 'string');
    const ec2 = JSON.parse(read('ec2/2009-04-04/meta-data.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    if (typeof ec2['local-ipv4'] === 'string') md.privateIPv4 = ec2['local-ipv4'];
    if (typeof ec2['public-ipv4'] === 'string') md.publicIPv4 = ec2['public-ipv4'];
  } catch (e) {
    return { metadata: md, type: 'cloud-drive', error: `bad meta-data in ${dir}: ${(e as Error).message}` };
  }
  const bytes = read('openstack/latest/user_data');
  return { metadata: md, type: 'cloud-drive', ...(bytes ? { bytes: new Uint8Array(bytes) } : {}) };
}

export async function cloudinitCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('cloudinit', USAGE, {
    args: normalizeArgs(argv),
    options: {
      'from-file': { type: 'string' },
      'from-url': { type: 'string' },
      'from-configdrive': { type: 'string' },
      'from-proc-cmdline': { type: 'boolean' },
      oem: { type: 'string' },
      root: { type: 'string' },
      validate: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      'private-ipv4': { type: 'string' },
      'public-ipv4': { type: 'string' },
      'private-ipv6': { type: 'string' },
      'public-ipv6': { type: 'string' },
      'ssh-key-name': { type: 'string' },
      workspace: { type: 'string' },
      'ignore-failure': { type: 'boolean' },
      'no-init': { type: 'boolean' },
      'first-boot': { type: 'boolean' },
      'local-address': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.version) {
    const { packageVersion } = await import('./coracle.js');
    process.stdout.write(`coreos-cloudinit (coracle ${packageVersion()})\n`);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    process.stderr.write(`coracle cloudinit: --output must be text or json, not ${JSON.stringify(output)}\n`);
    return 2;
  }
  const root = resolveRoot(values.root);
  let configdrive = values['from-configdrive'];
  if (values.oem !== undefined) {
    const preset = OEMS[values.oem];
    if (!preset) {
      process.stdout.write(`Invalid option to -oem: ${JSON.stringify(values.oem)}. Supported options: [${Object.keys(OEMS).map((k) => JSON.stringify(k)).join(' ')}]\n`);
      return 2;
    }
    if (preset.needs) {
      process.stderr.write(`coracle cloudinit: -oem ${values.oem} needs ${preset.needs}, which a coracle machine does not have; use --from-file or --from-url\n`);
      return 2;
    }
    configdrive ??= path.join(root, preset.configdrive!);
  }
  if (!values['from-file'] && !values['from-url'] && !configdrive && !values['from-proc-cmdline']) {
    process.stdout.write(`Provide at least one of ${SOURCES}\n`);
    return 2;
  }

  // Fetch: the first source that has user-data wins.
  const fetchUrl = httpFetcher(values['local-address']);
  let fetched: Fetched | undefined;
  const tries: (() => Promise<Fetched>)[] = [];
  if (values['from-file']) {
    const file = values['from-file'];
    tries.push(async () => {
      try {
        return { bytes: new Uint8Array(fs.readFileSync(file)), metadata: {}, type: 'local-file' };
      } catch (e) {
        return { metadata: {}, type: 'local-file', error: (e as Error).message };
      }
    });
  }
  if (configdrive) {
    const dir = configdrive;
    tries.push(async () => readConfigDrive(dir));
  }
  if (values['from-proc-cmdline']) {
    tries.push(async () => {
      const own = path.join(root, 'proc/cmdline');
      const file = fs.existsSync(own) ? own : '/proc/cmdline';
      const line = fs.readFileSync(file, 'utf8');
      const url = /(?:^|\s)cloud-config-url=(\S+)/.exec(line)?.[1];
      if (!url) return { metadata: {}, type: 'proc-cmdline', error: `cloud-config-url not found in ${file}` };
      const got = await fetchUrl(url);
      return got.ok ? { bytes: got.bytes, metadata: {}, type: 'proc-cmdline' } : { metadata: {}, type: 'proc-cmdline', error: got.error };
    });
  }
  if (values['from-url']) {
    const url = values['from-url'];
    tries.push(async () => {
      const got = await fetchUrl(url);
      return got.ok ? { bytes: got.bytes, metadata: {}, type: 'url' } : { metadata: {}, type: 'url', error: got.error };
    });
  }
  for (const t of tries) {
    fetched = await t();
    if (fetched.bytes) break;
  }
  const f = fetched!;
  const log = output === 'json' ? () => {} : goLog;
  let fetchFailure: string | undefined;
  if (!values.validate) log(`Fetching user-data from datasource of type ${JSON.stringify(f.type)}`);
  if (f.error || !f.bytes) {
    fetchFailure = f.error ?? 'no user-data';
    goLog(`Failed fetching user-data from datasource: ${fetchFailure}. Continuing...`);
  }
  const bytes = f.bytes ?? new Uint8Array(0);

  if (values.validate) {
    const report = validateUserData(bytes);
    if (output === 'json') process.stdout.write(`${reportToJson(report)}\n`);
    else for (const e of report.entries) process.stdout.write(`${formatEntry(e)}\n`);
    if (report.internalError) process.stderr.write(`Failed while validating user_data (${JSON.stringify(report.internalError)})\n`);
    return fetchFailure ? 1 : validateExitCode(report);
  }

  const report0 = validateUserData(bytes);
  for (const e of report0.entries) log(formatEntry(e));
  const metadata: MachineMetadata = { ...f.metadata };
  if (values['private-ipv4']) metadata.privateIPv4 = values['private-ipv4'];
  if (values['public-ipv4']) metadata.publicIPv4 = values['public-ipv4'];
  if (values['private-ipv6']) metadata.privateIPv6 = values['private-ipv6'];
  if (values['public-ipv6']) metadata.publicIPv6 = values['public-ipv6'];
  const offline = values['no-init'] === true;
  const report = await applyConfigToMachine({
    root,
    config: bytes,
    metadata,
    initSocket: offline ? null : socketPathOf(root),
    log,
    ...(values['ssh-key-name'] ? { sshKeyName: values['ssh-key-name'] } : {}),
    ...(values.workspace ? { workspace: values.workspace } : {}),
    ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
    ...(values['first-boot'] ? { forceFirstBoot: true } : {}),
  });
  if (fetchFailure && !report.malformed) report.malformed = fetchFailure;
  if (report.error !== undefined) goLog(`Failed to apply ${report.kind === 'ignition' ? 'Ignition config' : 'cloud-config'}: ${report.error}`);
  if (report.notRun.length > 0) {
    const why = offline ? '--no-init' : `no init answers on ${socketPathOf(root)}`;
    process.stderr.write(`Not run (${why}): ${report.notRun.join(', ')}\n`);
  }
  if (output === 'json') process.stdout.write(`${JSON.stringify({ root, ...report })}\n`);
  return exitCodeOf(report, { ignoreFailure: values['ignore-failure'] === true, offline });
}
