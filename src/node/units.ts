// The units coracle ships in a machine's image, as CoreOS shipped them in
// /usr/lib/systemd/system: etcd2, etcd (old name), etcd-member (ct's etcd:),
// fleet + fleet.socket, docker, and the boot-time cloud-config units. Pure:
// the texts are rendered for one machine (its root, its address, how to run
// coracle) and boot.ts writes them under <root>/lib/systemd/system/.
//
// Host-wide defaults of CoreOS resolve per machine here: etcd's data dir is
// <root>/var/lib/etcd2, its URLs and fleet's etcd_servers name the machine's
// own address instead of 127.0.0.1, so N machines can share one host.
import { escapeUnitPath } from '../units/names.js';

export interface ShippedUnitsInput {
  /** Absolute machine root. */
  root: string;
  /** The machine's private address (COREOS_PRIVATE_IPV4); etcd and fleet bind to it. */
  privateIpv4: string;
  /** The machine's public address (fleet's public_ip). */
  publicIpv4: string;
  /** argv that runs the `coracle` command: [process.execPath, <package>/bin/coracle.js]. */
  coracle: readonly string[];
  /** argv that runs the unit helpers: [process.execPath, <package>/dist/src/node/unit-helpers.js]. */
  helpers: readonly string[];
}

/** Where boot-time user-data lives inside the root, in the order CoreOS ran it. */
export const USER_DATA_PATHS = ['/usr/share/oem/cloud-config.yml', '/var/lib/coreos-install/user_data'] as const;

/** `user-cloudinit@<escaped path>.service` for a root-relative user-data path. */
export function userCloudinitUnit(file: string): string {
  return `user-cloudinit@${escapeUnitPath(file)}.service`;
}

/** One word of an Exec line: quoted when needed, `%` and `$` kept literal. */
export function execWord(w: string): string {
  const lit = w.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(lit)) return lit;
  return `"${lit.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An Environment= assignment, quoted, with `%` kept literal. */
function envLine(name: string, value: string): string {
  return `Environment="${name}=${value.replace(/%/g, '%%').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const exec = (argv: readonly string[], ...more: string[]): string => [...argv, ...more].map(execWord).join(' ');

/** The unit files, by name, for one machine. Targets and .wants links are in `links`. */
export function shippedUnits(m: ShippedUnitsInput): { files: Record<string, string>; links: { path: string; target: string }[] } {
  const ip = m.privateIpv4;
  const files: Record<string, string> = {
    'etcd2.service': [
      '[Unit]',
      'Description=etcd2',
      'Documentation=https://github.com/coreos/etcd',
      'After=network.target',
      '',
      '[Service]',
      'Type=notify',
      // CoreOS's defaults (ETCD_DATA_DIR, ETCD_NAME=%m), resolved per machine; the
      // cloud-config drop-in (20-cloudinit.conf) comes later and wins.
      envLine('ETCD_DATA_DIR', `${m.root}/var/lib/etcd2`),
      'Environment=ETCD_NAME=%m',
      envLine('ETCD_LISTEN_CLIENT_URLS', `http://${ip}:2379,http://${ip}:4001`),
      envLine('ETCD_ADVERTISE_CLIENT_URLS', `http://${ip}:2379,http://${ip}:4001`),
      envLine('ETCD_LISTEN_PEER_URLS', `http://${ip}:2380`),
      envLine('ETCD_INITIAL_ADVERTISE_PEER_URLS', `http://${ip}:2380`),
      `ExecStart=${exec(m.coracle, 'etcd')}`,
      'Restart=always',
      'RestartSec=10s',
      'TimeoutStartSec=0',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    'etcd.service': [
      '[Unit]',
      'Description=etcd (on coracle this name starts etcd2)',
      'Requires=etcd2.service',
      'After=etcd2.service',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      // Reports the legacy 0.4 options a cloud-config's `etcd:` section set.
      `ExecStart=${exec(m.helpers, 'etcd-legacy')}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    'etcd-member.service': [
      '[Unit]',
      'Description=etcd (System Application Container)',
      'Documentation=https://github.com/coreos/etcd',
      'Wants=network.target',
      'Conflicts=etcd.service etcd2.service',
      '',
      '[Service]',
      'Type=notify',
      'Restart=on-failure',
      'RestartSec=10s',
      'TimeoutStartSec=0',
      envLine('ETCD_DATA_DIR', `${m.root}/var/lib/etcd`),
      'Environment=ETCD_NAME=%m',
      envLine('ETCD_LISTEN_CLIENT_URLS', `http://${ip}:2379`),
      envLine('ETCD_ADVERTISE_CLIENT_URLS', `http://${ip}:2379`),
      envLine('ETCD_LISTEN_PEER_URLS', `http://${ip}:2380`),
      envLine('ETCD_INITIAL_ADVERTISE_PEER_URLS', `http://${ip}:2380`),
      // ct's drop-in replaces ExecStart= with /usr/lib/coreos/etcd-wrapper and
      // its flags; boot translates that to coracle etcd (etcd-wrapper.ts).
      `ExecStart=${exec(m.coracle, 'etcd')}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    'fleet.socket': [
      '[Unit]',
      'Description=Fleet API Socket',
      'PartOf=fleet.service',
      '',
      '[Socket]',
      'ListenStream=/run/fleet.sock',
      '',
      '[Install]',
      'WantedBy=sockets.target',
      '',
    ].join('\n'),
    'fleet.service': [
      '[Unit]',
      'Description=fleet daemon',
      'After=etcd.service',
      'After=etcd2.service',
      'Wants=fleet.socket',
      'After=fleet.socket',
      '',
      '[Service]',
      // fleet's etcd_servers default (127.0.0.1:2379) and public-IP detection, per machine.
      envLine('FLEET_ETCD_SERVERS', `http://${ip}:2379`),
      envLine('FLEET_PUBLIC_IP', m.publicIpv4),
      `ExecStart=${exec(m.coracle, 'fleetd')}`,
      'Restart=always',
      'RestartSec=10s',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    'docker.service': [
      '[Unit]',
      'Description=Docker Application Container Engine (the host engine, shared by every machine)',
      'Documentation=https://docs.docker.com',
      'After=network.target',
      '',
      '[Service]',
      'Type=notify',
      // Uses the running engine; starts dockerd only when none answers.
      `ExecStart=${exec(m.helpers, 'docker-engine')}`,
      'TimeoutStartSec=60s',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    'user-cloudinit@.service': [
      '[Unit]',
      'Description=Load cloud-config from %f',
      'Before=user-config.target',
      'ConditionFileNotEmpty=%f',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'TimeoutSec=10min',
      'EnvironmentFile=-/etc/environment',
      `ExecStart=${exec(m.helpers, 'cloudinit')} --from-file=%f`,
      '',
    ].join('\n'),
    'user-configdrive.service': [
      '[Unit]',
      'Description=Load cloud-config from /media/configdrive',
      'After=system-config.target',
      'Before=user-config.target',
      'ConditionPathExists=/media/configdrive/openstack/latest/user_data',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'TimeoutSec=10min',
      'EnvironmentFile=-/etc/environment',
      `ExecStart=${exec(m.helpers, 'cloudinit')} --from-configdrive=/media/configdrive`,
      '',
    ].join('\n'),
    'system-config.target': [
      '[Unit]',
      'Description=Load system-provided cloud configs',
      '',
    ].join('\n'),
    'user-config.target': [
      '[Unit]',
      'Description=Load user-provided cloud configs',
      'Requires=system-config.target',
      'After=system-config.target',
      '',
    ].join('\n'),
  };
  const [oem, userData] = USER_DATA_PATHS.map(userCloudinitUnit) as [string, string];
  const links = [
    { path: 'multi-user.target.wants/system-config.target', target: '../system-config.target' },
    { path: 'multi-user.target.wants/user-config.target', target: '../user-config.target' },
    { path: `system-config.target.wants/${oem}`, target: '../user-cloudinit@.service' },
    { path: `user-config.target.wants/${userData}`, target: '../user-cloudinit@.service' },
    { path: 'user-config.target.wants/user-configdrive.service', target: '../user-configdrive.service' },
  ];
  return { files, links };
}
