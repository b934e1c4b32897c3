// The local cluster as data (pure): which machines, at which addresses and
// ports, and the cloud-config each one boots with — what Vagrant's
// coreos-vagrant user-data gave each VM: etcd2 and fleet started, etcd's
// URLs on the machine's own address, discovery as chosen.

export type DiscoveryMode = 'static' | 'service' | 'self';

export const PORTS = { etcdClient: 2379, etcdPeer: 2380, etcdLegacy: 4001, fleetApi: 49153 } as const;

/** Where the discovery helpers listen (loopback, outside the machines' 127.0.0.2–…). */
export const HELPER_ADDRESS = '127.0.0.1';
export const HELPER_PORTS = { etcdClient: 12379, etcdPeer: 12380, discovery: 18087 } as const;

export interface MachinePlan {
  n: number;
  name: string;
  address: string;
  ports: typeof PORTS;
  metadata: Record<string, string>;
}

/** Machine n is 127.0.0.(n+1) (DESIGN.md's one-host cluster addresses). */
export function machineAddress(n: number): string {
  return `127.0.0.${n + 1}`;
}

export function machineName(n: number): string {
  return `core-${String(n).padStart(2, '0')}`;
}

export const MAX_MACHINES = 9;

/** `--metadata 1=role=web,2=role=db,1=az=a` → per machine {key: value}. */
export function parseMetadata(spec: string, machines: number): { ok: true; value: Map<number, Record<string, string>> } | { ok: false; error: string } {
  const out = new Map<number, Record<string, string>>();
  if (spec.trim() === '') return { ok: true, value: out };
  for (const item of spec.split(',')) {
    const m = /^\s*(\d+)=([A-Za-z0-9_.-]+)=(.*?)\s*$/.exec(item);
    if (!m) return { ok: false, error: `--metadata: ${JSON.stringify(item)} is not n=key=value` };
    const n = Number(m[1]);
    if (n < 1 || n > machines) return { ok: false, error: `--metadata: machine ${n} does not exist (machines are 1–${machines})` };
    if (m[3]!.includes('=') || m[3]!.includes(',')) return { ok: false, error: `--metadata: the value in ${JSON.stringify(item)} cannot contain '=' or ','` };
    out.set(n, { ...(out.get(n) ?? {}), [m[2]!]: m[3]! });
  }
  return { ok: true, value: out };
}

export function planMachines(count: number, metadata: Map<number, Record<string, string>> = new Map()): MachinePlan[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    return { n, name: machineName(n), address: machineAddress(n), ports: PORTS, metadata: metadata.get(n) ?? {} };
  });
}

export interface DiscoverySetting {
  mode: DiscoveryMode;
  /** The discovery URL (service and self modes). */
  url?: string;
  /** The initial-cluster token (static mode). */
  token?: string;
}

/** The cloud-config one machine of the cluster boots with. */
export function machineCloudConfig(m: MachinePlan, all: readonly MachinePlan[], discovery: DiscoverySetting, withFleet: boolean): string {
  const lines = [
    '#cloud-config',
    `# ${m.name} of a ${all.length}-machine coracle cluster (coracle cluster up). $private_ipv4 is ${m.address}.`,
    `hostname: ${m.name}`,
    'coreos:',
    '  etcd2:',
    `    name: ${m.name}`,
    `    advertise-client-urls: http://$private_ipv4:${m.ports.etcdClient},http://$private_ipv4:${m.ports.etcdLegacy}`,
    `    initial-advertise-peer-urls: http://$private_ipv4:${m.ports.etcdPeer}`,
    `    listen-client-urls: http://$private_ipv4:${m.ports.etcdClient},http://$private_ipv4:${m.ports.etcdLegacy}`,
    `    listen-peer-urls: http://$private_ipv4:${m.ports.etcdPeer}`,
  ];
  if (discovery.mode === 'static') {
    lines.push(
      `    initial-cluster: ${all.map((o) => `${o.name}=http://${o.address}:${o.ports.etcdPeer}`).join(',')}`,
      `    initial-cluster-token: ${discovery.token ?? 'coracle-local'}`,
      '    initial-cluster-state: new',
    );
  } else {
    lines.push(`    discovery: ${discovery.url}`);
  }
  if (withFleet) {
    lines.push(
      '  fleet:',
      '    public-ip: $private_ipv4',
      `    etcd-servers: http://$private_ipv4:${m.ports.etcdClient}`,
    );
    const md = Object.entries(m.metadata).sort(([a], [b]) => a.localeCompare(b));
    if (md.length > 0) lines.push(`    metadata: ${md.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  lines.push('  units:', '    - name: etcd2.service', '      command: start');
  if (withFleet) {
    lines.push(
      '    - name: fleet.socket',
      '      drop-ins:',
      '        - name: 30-ListenStream.conf',
      '          content: |',
      '            [Socket]',
      `            ListenStream=$private_ipv4:${m.ports.fleetApi}`,
      '    - name: fleet.service',
      '      command: start',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A unit to try the cluster with: a plain process, or with Docker the seed's web server. */
export function sampleUnits(docker: boolean): Record<string, string> {
  const units: Record<string, string> = {
    'hello@.service': [
      '[Unit]',
      'Description=Hello from %H',
      '',
      '[Service]',
      'ExecStart=/bin/sh -c "while true; do echo Hello from %H instance %i; sleep 5; done"',
      '',
      '[X-Fleet]',
      'Conflicts=hello@*.service',
      '',
    ].join('\n'),
  };
  if (docker) {
    units['web@.service'] = [
      '[Unit]',
      'Description=Web server %i (nginx) on this machine\'s address',
      'After=docker.service',
      'Requires=docker.service',
      '',
      '[Service]',
      'EnvironmentFile=/etc/environment',
      'ExecStartPre=-/usr/bin/docker kill web-%i',
      'ExecStartPre=-/usr/bin/docker rm web-%i',
      'ExecStart=/usr/bin/docker run --rm --name web-%i -p ${COREOS_PRIVATE_IPV4}:8080:80 nginx:alpine',
      'ExecStop=/usr/bin/docker stop web-%i',
      '',
      '[X-Fleet]',
      'X-Conflicts=web@*.service',
      '',
    ].join('\n');
  }
  return units;
}
