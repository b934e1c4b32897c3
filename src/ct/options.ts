// The etcd and flannel options ct knew, per version, in its struct order
// (which is the order of the --flags it wrote): [yaml key, cli flag, type].
// Read from container-linux-config-transpiler's config/types/etcd.go and
// flannel.go; the yaml key is the flag with "_" for "-" except where noted.
export type OptType = 'string' | 'int' | 'bool';
export type Option = readonly [yaml: string, cli: string, type: OptType];

function table(spec: string): Option[] {
  return spec
    .trim()
    .split(/\s+/)
    .map((item) => {
      const [yaml, type, cli] = item.split(':') as [string, OptType, string | undefined];
      return [yaml, cli ?? yaml.replace(/_/g, '-'), type] as const;
    });
}

const S = 'string';
const ETCD3_COMMON_HEAD = `name:${S} data_dir:${S} wal_dir:${S} snapshot_count:int heartbeat_interval:int election_timeout:int enable_pprof:bool`;
const ETCD3_0_TAIL = `listen_peer_urls:${S} listen_client_urls:${S} max_snapshots:int max_wals:int cors:${S}
  initial_advertise_peer_urls:${S} initial_cluster:${S} initial_cluster_state:${S} initial_cluster_token:${S}
  advertise_client_urls:${S} discovery:${S} discovery_srv:${S} discovery_fallback:${S} discovery_proxy:${S}
  strict_reconfig_check:bool auto_compaction_retention:int proxy:${S} proxy_failure_wait:int proxy_refresh_interval:int
  proxy_dial_timeout:int proxy_write_timeout:int proxy_read_timeout:int ca_file:${S} cert_file:${S} key_file:${S}
  client_cert_auth:bool trusted_ca_file:${S} auto_tls:bool peer_ca_file:${S} peer_cert_file:${S} peer_key_file:${S}
  peer_client_cert_auth:bool peer_trusted_ca_file:${S} peer_auto_tls:bool`;

export const ETCD3_0 = table(`${ETCD3_COMMON_HEAD} ${ETCD3_0_TAIL} debug:bool log_package_levels:${S} force_new_cluster:bool`);
export const ETCD3_1 = table(`${ETCD3_COMMON_HEAD} ${ETCD3_0_TAIL} debug:bool log_package_levels:${S} force_new_cluster:bool metrics:${S} log_output:${S}`);
export const ETCD3_2 = table(`${ETCD3_COMMON_HEAD} enable_v2:bool ${ETCD3_0_TAIL} auth_token:${S} debug:bool log_package_levels:${S}
  force_new_cluster:bool metrics:${S} log_output:${S}`);
export const ETCD3_3 = table(`${ETCD3_COMMON_HEAD} enable_v2:bool listen_peer_urls:${S} listen_client_urls:${S} max_snapshots:int
  max_wals:int cors:${S} quota_backend_bytes:int max_txn_ops:int max_request_bytes:int grpc_keepalive_min_time:${S}
  grpc_keepalive_interval:${S} grpc_keepalive_timeout:${S} initial_advertise_peer_urls:${S} initial_cluster:${S}
  initial_cluster_state:${S} initial_cluster_token:${S} advertise_client_urls:${S} discovery:${S} discovery_srv:${S}
  discovery_fallback:${S} discovery_proxy:${S} strict_reconfig_check:bool auto_compaction_retention:${S}
  auto_compaction_mode:${S} proxy:${S} proxy_failure_wait:int proxy_refresh_interval:int proxy_dial_timeout:int
  proxy_write_timeout:int proxy_read_timeout:int ca_file:${S} cert_file:${S} key_file:${S} client_cert_auth:bool
  client_crl_file:${S} trusted_ca_file:${S} auto_tls:bool peer_ca_file:${S} peer_cert_file:${S} peer_key_file:${S}
  peer_client_cert_auth:bool peer_crl_file:${S} peer_trusted_ca_file:${S} peer_auto_tls:bool peer_cert_allowed_cn:${S}
  auth_token:${S} debug:bool log_package_levels:${S} force_new_cluster:bool metrics:${S} log_output:${S}
  listen_metrics_urls:${S} experimental_initial_corrupt_check:bool experimental_corrupt_check_time:${S}
  experimental_enable_v2v3:${S}`);
export const ETCD2 = table(`advertise_client_urls:${S} ca_file:${S} cert_file:${S} client_cert_auth:bool cors:${S} data_dir:${S}
  debug:bool discovery:${S} discovery_fallback:${S} discovery_srv:${S} discovery_proxy:${S} election_timeout:int
  enable_pprof:bool force_new_cluster:bool heartbeat_interval:int initial_advertise_peer_urls:${S} initial_cluster:${S}
  initial_cluster_state:${S} initial_cluster_token:${S} key_file:${S} listen_client_urls:${S} listen_peer_urls:${S}
  log_package_levels:${S} max_snapshots:int max_wals:int name:${S} peer_ca_file:${S} peer_cert_file:${S} peer_key_file:${S}
  peer_client_cert_auth:bool peer_trusted_ca_file:${S} proxy:${S} proxy_dial_timeout:int proxy_failure_wait:int
  proxy_read_timeout:int proxy_refresh_interval:int proxy_write_timeout:int snapshot_count:int strict_reconfig_check:bool
  trusted_ca_file:${S} wal_dir:${S}`);

const FLANNEL0_5_TAIL = `etcd_endpoints:${S} etcd_cafile:${S} etcd_certfile:${S} etcd_keyfile:${S} etcd_prefix:${S} ip_masq:${S}
  subnet_file:${S} interface:${S}:iface public_ip:${S}`;
export const FLANNEL0_5 = table(FLANNEL0_5_TAIL);
export const FLANNEL0_6 = table(`etcd_username:${S} etcd_password:${S} ${FLANNEL0_5_TAIL}`);
export const FLANNEL0_7 = table(`etcd_username:${S} etcd_password:${S} ${FLANNEL0_5_TAIL} kube_subnet_mgr:bool`);

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** coreos/go-semver's New: MAJOR.MINOR.PATCH with optional -pre and +meta. */
export function parseSemver(s: string): Semver | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(s);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: s };
}

export function etcdOptionsFor(v: Semver): Option[] {
  if (v.major === 2 && v.minor >= 3) return ETCD2;
  if (v.major === 3 && v.minor === 0) return ETCD3_0;
  if (v.major === 3 && v.minor === 1) return ETCD3_1;
  if (v.major === 3 && v.minor === 2) return ETCD3_2;
  if (v.major === 3 && v.minor >= 3) return ETCD3_3;
  // ct kept no options for other versions (they fail validation).
  return [];
}

export function flannelOptionsFor(v: Semver): Option[] {
  if (v.major === 0 && v.minor >= 7) return FLANNEL0_7;
  if (v.major === 0 && v.minor === 6) return FLANNEL0_6;
  if (v.major === 0 && v.minor === 5) return FLANNEL0_5;
  return [];
}

/** ct's dynamic data: {FIELD} → ${ENV} per platform (config/templating). */
export const PLATFORMS = ['azure', 'digitalocean', 'ec2', 'gce', 'packet', 'openstack-metadata', 'vagrant-virtualbox', 'cloudstack-configdrive', 'custom'];

export const TEMPLATE_VARS: Record<string, Record<string, string>> = {
  azure: { PRIVATE_IPV4: 'COREOS_AZURE_IPV4_DYNAMIC', PUBLIC_IPV4: 'COREOS_AZURE_IPV4_VIRTUAL' },
  digitalocean: {
    HOSTNAME: 'COREOS_DIGITALOCEAN_HOSTNAME', PRIVATE_IPV4: 'COREOS_DIGITALOCEAN_IPV4_PRIVATE_0', PUBLIC_IPV4: 'COREOS_DIGITALOCEAN_IPV4_PUBLIC_0',
    PRIVATE_IPV6: 'COREOS_DIGITALOCEAN_IPV6_PRIVATE_0', PUBLIC_IPV6: 'COREOS_DIGITALOCEAN_IPV6_PUBLIC_0',
  },
  ec2: { HOSTNAME: 'COREOS_EC2_HOSTNAME', PRIVATE_IPV4: 'COREOS_EC2_IPV4_LOCAL', PUBLIC_IPV4: 'COREOS_EC2_IPV4_PUBLIC' },
  gce: { HOSTNAME: 'COREOS_GCE_HOSTNAME', PRIVATE_IPV4: 'COREOS_GCE_IP_LOCAL_0', PUBLIC_IPV4: 'COREOS_GCE_IP_EXTERNAL_0' },
  packet: { HOSTNAME: 'COREOS_PACKET_HOSTNAME', PRIVATE_IPV4: 'COREOS_PACKET_IPV4_PRIVATE_0', PUBLIC_IPV4: 'COREOS_PACKET_IPV4_PUBLIC_0', PUBLIC_IPV6: 'COREOS_PACKET_IPV6_PUBLIC_0' },
  'openstack-metadata': { HOSTNAME: 'COREOS_OPENSTACK_HOSTNAME', PRIVATE_IPV4: 'COREOS_OPENSTACK_IPV4_LOCAL', PUBLIC_IPV4: 'COREOS_OPENSTACK_IPV4_PUBLIC' },
  'vagrant-virtualbox': { HOSTNAME: 'COREOS_VAGRANT_VIRTUALBOX_HOSTNAME', PRIVATE_IPV4: 'COREOS_VAGRANT_VIRTUALBOX_PRIVATE_IPV4' },
  'cloudstack-configdrive': { HOSTNAME: 'CLOUDSTACK_LOCAL_HOSTNAME' },
  custom: {
    HOSTNAME: 'COREOS_CUSTOM_HOSTNAME', PRIVATE_IPV4: 'COREOS_CUSTOM_PRIVATE_IPV4', PUBLIC_IPV4: 'COREOS_CUSTOM_PUBLIC_IPV4',
    PRIVATE_IPV6: 'COREOS_CUSTOM_PRIVATE_IPV6', PUBLIC_IPV6: 'COREOS_CUSTOM_PUBLIC_IPV6',
  },
};
