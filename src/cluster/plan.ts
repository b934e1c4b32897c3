// The local cluster as data (pure): which machines, at which addresses and
// ports, and the cloud-config each one boots with — what Vagrant's
// coreos-vagrant user-data gave each VM: etcd2 and fleet started, etcd's
// URLs on the machine's own address, discovery as chosen.

export type DiscoveryMode = 'static' | 'service' | 'self';

export const PORTS = { etcdClient: 2379, etcdPeer: 2380, etcdLegacy: 4001, fleetApi: 49153 } as const;

/** Where the helpers (discovery, the Docker sample's file server) listen: loopback, outside the machines' 127.0.0.2–…. */
export const HELPER_ADDRESS = '127.0.0.1';
export const HELPER_PORTS = { etcdClient: 12379, etcdPeer: 12380, discovery: 18087, samples: 18088 } as const;

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

/**
 * `--etcd-servers URL[,URL…]` (fleet's own `etcd_servers`): the external etcd
 * v2 endpoints the machines' fleet uses as its registry. Each must be a plain
 * http(s)://host:port (fleet adds the /v2/keys path itself).
 */
export function parseEtcdServers(spec: string): { ok: true; value: string[] } | { ok: false; error: string } {
  const urls = spec.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) return { ok: false, error: '--etcd-servers: give at least one etcd client URL, e.g. http://10.0.0.5:2379' };
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return { ok: false, error: `--etcd-servers: ${JSON.stringify(u)} is not a URL (want http://host:port)` };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, error: `--etcd-servers: ${JSON.stringify(u)} is not http(s)` };
    if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '') {
      return { ok: false, error: `--etcd-servers: ${JSON.stringify(u)} has a path; give the client URL only (http://host:port), fleet adds /v2/keys` };
    }
  }
  return { ok: true, value: urls.map((u) => u.replace(/\/+$/, '')) };
}

/**
 * How the machines' fleet reaches its registry: each machine's own etcd2
 * (members of one cluster, discovery as chosen), or an external etcd v2 API
 * the machines do not run — CoreOS's "worker" machines pointed at a
 * separate etcd cluster, with no etcd2 of their own.
 */
export type RegistrySetting = { kind: 'machines'; discovery: DiscoverySetting } | { kind: 'external'; endpoints: readonly string[] };

/** The ports a machine listens on: etcd's only when it runs etcd2. */
export function machineListenPorts(m: MachinePlan, registry: RegistrySetting): number[] {
  return registry.kind === 'machines' ? Object.values(m.ports) : [m.ports.fleetApi];
}

/** The cloud-config one machine of the cluster boots with. */
export function machineCloudConfig(m: MachinePlan, all: readonly MachinePlan[], registry: RegistrySetting, withFleet: boolean): string {
  const external = registry.kind === 'external';
  const lines = [
    '#cloud-config',
    `# ${m.name} of a ${all.length}-machine coracle cluster (coracle cluster up). $private_ipv4 is ${m.address}.`,
  ];
  if (external) lines.push(`# No etcd2 here: fleet's registry is the external etcd at ${registry.endpoints.join(',')}.`);
  lines.push(`hostname: ${m.name}`, 'coreos:');
  if (registry.kind === 'machines') {
    const discovery = registry.discovery;
    lines.push(
      '  etcd2:',
      `    name: ${m.name}`,
      `    advertise-client-urls: http://$private_ipv4:${m.ports.etcdClient},http://$private_ipv4:${m.ports.etcdLegacy}`,
      `    initial-advertise-peer-urls: http://$private_ipv4:${m.ports.etcdPeer}`,
      `    listen-client-urls: http://$private_ipv4:${m.ports.etcdClient},http://$private_ipv4:${m.ports.etcdLegacy}`,
      `    listen-peer-urls: http://$private_ipv4:${m.ports.etcdPeer}`,
    );
    if (discovery.mode === 'static') {
      lines.push(
        `    initial-cluster: ${all.map((o) => `${o.name}=http://${o.address}:${o.ports.etcdPeer}`).join(',')}`,
        `    initial-cluster-token: ${discovery.token ?? 'coracle-local'}`,
        '    initial-cluster-state: new',
      );
    } else {
      lines.push(`    discovery: ${discovery.url}`);
    }
  }
  if (withFleet) {
    const servers = external ? registry.endpoints.join(',') : `http://$private_ipv4:${m.ports.etcdClient}`;
    lines.push(
      '  fleet:',
      '    public-ip: $private_ipv4',
      `    etcd-servers: ${servers}`,
    );
    const md = Object.entries(m.metadata).sort(([a], [b]) => a.localeCompare(b));
    if (md.length > 0) lines.push(`    metadata: ${md.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  lines.push('  units:');
  if (!external) lines.push('    - name: etcd2.service', '      command: start');
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
