// The cloud-config schema exactly as coreos-cloudinit's config package
// declared it: field order (which is also the order of generated
// Environment= lines), YAML names, env names, `valid` patterns and
// deprecation notes. One table drives the typed decoder, the validator and
// the drop-in renderer, so they cannot drift apart.

export type FieldType =
  | { k: 'string' }
  | { k: 'int' }
  | { k: 'float' }
  | { k: 'bool' }
  | { k: 'struct'; fields: readonly Field[] }
  | { k: 'slice'; elem: FieldType };

export interface Field {
  /** The YAML key, in the underscore spelling (hyphens are equivalent). */
  readonly name: string;
  readonly type: FieldType;
  readonly env?: string;
  /** Go regexp from the original's `valid` tag; checked on the value's text. */
  readonly valid?: RegExp;
  /** The warning text shown as `deprecated key "name" (<text>)`. */
  readonly deprecated?: string;
}

const S: FieldType = { k: 'string' };
const I: FieldType = { k: 'int' };
const F: FieldType = { k: 'float' };
const B: FieldType = { k: 'bool' };
const SS: FieldType = { k: 'slice', elem: S };

const f = (name: string, type: FieldType, extra: Omit<Field, 'name' | 'type'> = {}): Field => ({ name, type, ...extra });

export const VALID = {
  encoding: /^(base64|b64|gz|gzip|gz\+base64|gzip\+base64|gz\+b64|gzip\+b64)$/,
  permissions: /^0?[0-7]{3,4}$/,
  command: /^(start|stop|restart|reload|try-restart|reload-or-restart|reload-or-try-restart)$/,
  rebootStrategy: /^(etcd-lock|reboot|off)$/,
  windowStart: /^((?:[Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]|[Ss][Uu][Nn]) )?0*([0-9]|1[0-9]|2[0-3]):0*([0-9]|[1-5][0-9])$/,
  windowLength: /^[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+$/,
  proxy: /^(on|off|readonly)$/,
} as const;

/** The Go source text of each pattern, as the original printed it. */
export const VALID_SOURCE = new Map<RegExp, string>([
  [VALID.encoding, '^(base64|b64|gz|gzip|gz\\+base64|gzip\\+base64|gz\\+b64|gzip\\+b64)$'],
  [VALID.permissions, '^0?[0-7]{3,4}$'],
  [VALID.command, '^(start|stop|restart|reload|try-restart|reload-or-restart|reload-or-try-restart)$'],
  [VALID.rebootStrategy, '^(etcd-lock|reboot|off)$'],
  [VALID.windowStart, '^((?i:sun|mon|tue|wed|thu|fri|sat|sun) )?0*([0-9]|1[0-9]|2[0-3]):0*([0-9]|[1-5][0-9])$'],
  [VALID.windowLength, '^[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+$'],
  [VALID.proxy, '^(on|off|readonly)$'],
]);

const ETCD2_FOR_ETCD = 'etcd2 options no longer work for etcd';

export const ETCD_FIELDS: readonly Field[] = [
  f('addr', S, { env: 'ETCD_ADDR' }),
  f('advertise_client_urls', S, { env: 'ETCD_ADVERTISE_CLIENT_URLS', deprecated: ETCD2_FOR_ETCD }),
  f('bind_addr', S, { env: 'ETCD_BIND_ADDR' }),
  f('ca_file', S, { env: 'ETCD_CA_FILE' }),
  f('cert_file', S, { env: 'ETCD_CERT_FILE' }),
  f('cluster_active_size', I, { env: 'ETCD_CLUSTER_ACTIVE_SIZE' }),
  f('cluster_remove_delay', F, { env: 'ETCD_CLUSTER_REMOVE_DELAY' }),
  f('cluster_sync_interval', F, { env: 'ETCD_CLUSTER_SYNC_INTERVAL' }),
  f('cors', S, { env: 'ETCD_CORS' }),
  f('data_dir', S, { env: 'ETCD_DATA_DIR' }),
  f('discovery', S, { env: 'ETCD_DISCOVERY' }),
  f('discovery_fallback', S, { env: 'ETCD_DISCOVERY_FALLBACK', deprecated: ETCD2_FOR_ETCD }),
  f('discovery_srv', S, { env: 'ETCD_DISCOVERY_SRV', deprecated: ETCD2_FOR_ETCD }),
  f('discovery_proxy', S, { env: 'ETCD_DISCOVERY_PROXY', deprecated: ETCD2_FOR_ETCD }),
  f('election_timeout', I, { env: 'ETCD_ELECTION_TIMEOUT', deprecated: ETCD2_FOR_ETCD }),
  f('force_new_cluster', B, { env: 'ETCD_FORCE_NEW_CLUSTER', deprecated: ETCD2_FOR_ETCD }),
  f('graphite_host', S, { env: 'ETCD_GRAPHITE_HOST' }),
  f('heartbeat_interval', I, { env: 'ETCD_HEARTBEAT_INTERVAL', deprecated: ETCD2_FOR_ETCD }),
  f('http_read_timeout', F, { env: 'ETCD_HTTP_READ_TIMEOUT' }),
  f('http_write_timeout', F, { env: 'ETCD_HTTP_WRITE_TIMEOUT' }),
  f('initial_advertise_peer_urls', S, { env: 'ETCD_INITIAL_ADVERTISE_PEER_URLS', deprecated: ETCD2_FOR_ETCD }),
  f('initial_cluster', S, { env: 'ETCD_INITIAL_CLUSTER', deprecated: ETCD2_FOR_ETCD }),
  f('initial_cluster_state', S, { env: 'ETCD_INITIAL_CLUSTER_STATE', deprecated: ETCD2_FOR_ETCD }),
  f('initial_cluster_token', S, { env: 'ETCD_INITIAL_CLUSTER_TOKEN', deprecated: ETCD2_FOR_ETCD }),
  f('key_file', S, { env: 'ETCD_KEY_FILE' }),
  f('listen_client_urls', S, { env: 'ETCD_LISTEN_CLIENT_URLS', deprecated: ETCD2_FOR_ETCD }),
  f('listen_peer_urls', S, { env: 'ETCD_LISTEN_PEER_URLS', deprecated: ETCD2_FOR_ETCD }),
  f('max_result_buffer', I, { env: 'ETCD_MAX_RESULT_BUFFER' }),
  f('max_retry_attempts', I, { env: 'ETCD_MAX_RETRY_ATTEMPTS' }),
  f('max_snapshots', I, { env: 'ETCD_MAX_SNAPSHOTS', deprecated: ETCD2_FOR_ETCD }),
  f('max_wals', I, { env: 'ETCD_MAX_WALS', deprecated: ETCD2_FOR_ETCD }),
  f('name', S, { env: 'ETCD_NAME' }),
  f('peer_addr', S, { env: 'ETCD_PEER_ADDR' }),
  f('peer_bind_addr', S, { env: 'ETCD_PEER_BIND_ADDR' }),
  f('peer_ca_file', S, { env: 'ETCD_PEER_CA_FILE' }),
  f('peer_cert_file', S, { env: 'ETCD_PEER_CERT_FILE' }),
  f('peer_election_timeout', I, { env: 'ETCD_PEER_ELECTION_TIMEOUT' }),
  f('peer_heartbeat_interval', I, { env: 'ETCD_PEER_HEARTBEAT_INTERVAL' }),
  f('peer_key_file', S, { env: 'ETCD_PEER_KEY_FILE' }),
  f('peers', S, { env: 'ETCD_PEERS' }),
  f('peers_file', S, { env: 'ETCD_PEERS_FILE' }),
  f('proxy', S, { env: 'ETCD_PROXY', deprecated: ETCD2_FOR_ETCD }),
  f('retry_interval', F, { env: 'ETCD_RETRY_INTERVAL' }),
  f('snapshot', B, { env: 'ETCD_SNAPSHOT' }),
  // The original wrote this one without the underscore.
  f('snapshot_count', I, { env: 'ETCD_SNAPSHOTCOUNT' }),
  f('trace', S, { env: 'ETCD_TRACE' }),
  f('verbose', B, { env: 'ETCD_VERBOSE' }),
  f('very_verbose', B, { env: 'ETCD_VERY_VERBOSE' }),
  f('very_very_verbose', B, { env: 'ETCD_VERY_VERY_VERBOSE' }),
];

export const ETCD2_FIELDS: readonly Field[] = [
  f('advertise_client_urls', S, { env: 'ETCD_ADVERTISE_CLIENT_URLS' }),
  f('ca_file', S, { env: 'ETCD_CA_FILE', deprecated: 'ca_file obsoleted by trusted_ca_file and client_cert_auth' }),
  f('cert_file', S, { env: 'ETCD_CERT_FILE' }),
  f('client_cert_auth', B, { env: 'ETCD_CLIENT_CERT_AUTH' }),
  f('cors', S, { env: 'ETCD_CORS' }),
  f('data_dir', S, { env: 'ETCD_DATA_DIR' }),
  f('debug', B, { env: 'ETCD_DEBUG' }),
  f('discovery', S, { env: 'ETCD_DISCOVERY' }),
  f('discovery_fallback', S, { env: 'ETCD_DISCOVERY_FALLBACK' }),
  f('discovery_srv', S, { env: 'ETCD_DISCOVERY_SRV' }),
  f('discovery_proxy', S, { env: 'ETCD_DISCOVERY_PROXY' }),
  f('election_timeout', I, { env: 'ETCD_ELECTION_TIMEOUT' }),
  f('enable_pprof', B, { env: 'ETCD_ENABLE_PPROF' }),
  f('force_new_cluster', B, { env: 'ETCD_FORCE_NEW_CLUSTER' }),
  f('heartbeat_interval', I, { env: 'ETCD_HEARTBEAT_INTERVAL' }),
  f('initial_advertise_peer_urls', S, { env: 'ETCD_INITIAL_ADVERTISE_PEER_URLS' }),
  f('initial_cluster', S, { env: 'ETCD_INITIAL_CLUSTER' }),
  f('initial_cluster_state', S, { env: 'ETCD_INITIAL_CLUSTER_STATE' }),
  f('initial_cluster_token', S, { env: 'ETCD_INITIAL_CLUSTER_TOKEN' }),
  f('key_file', S, { env: 'ETCD_KEY_FILE' }),
  f('listen_client_urls', S, { env: 'ETCD_LISTEN_CLIENT_URLS' }),
  f('listen_peer_urls', S, { env: 'ETCD_LISTEN_PEER_URLS' }),
  f('log_package_levels', S, { env: 'ETCD_LOG_PACKAGE_LEVELS' }),
  f('max_snapshots', I, { env: 'ETCD_MAX_SNAPSHOTS' }),
  f('max_wals', I, { env: 'ETCD_MAX_WALS' }),
  f('name', S, { env: 'ETCD_NAME' }),
  f('peer_ca_file', S, { env: 'ETCD_PEER_CA_FILE', deprecated: 'peer_ca_file obsoleted peer_trusted_ca_file and peer_client_cert_auth' }),
  f('peer_cert_file', S, { env: 'ETCD_PEER_CERT_FILE' }),
  f('peer_key_file', S, { env: 'ETCD_PEER_KEY_FILE' }),
  f('peer_client_cert_auth', B, { env: 'ETCD_PEER_CLIENT_CERT_AUTH' }),
  f('peer_trusted_ca_file', S, { env: 'ETCD_PEER_TRUSTED_CA_FILE' }),
  f('proxy', S, { env: 'ETCD_PROXY', valid: VALID.proxy }),
  f('proxy_dial_timeout', I, { env: 'ETCD_PROXY_DIAL_TIMEOUT' }),
  f('proxy_failure_wait', I, { env: 'ETCD_PROXY_FAILURE_WAIT' }),
  f('proxy_read_timeout', I, { env: 'ETCD_PROXY_READ_TIMEOUT' }),
  f('proxy_refresh_interval', I, { env: 'ETCD_PROXY_REFRESH_INTERVAL' }),
  f('proxy_write_timeout', I, { env: 'ETCD_PROXY_WRITE_TIMEOUT' }),
  f('snapshot_count', I, { env: 'ETCD_SNAPSHOT_COUNT' }),
  f('strict_reconfig_check', B, { env: 'ETCD_STRICT_RECONFIG_CHECK' }),
  f('trusted_ca_file', S, { env: 'ETCD_TRUSTED_CA_FILE' }),
  f('wal_dir', S, { env: 'ETCD_WAL_DIR' }),
];

export const FLANNEL_FIELDS: readonly Field[] = [
  f('etcd_endpoints', S, { env: 'FLANNELD_ETCD_ENDPOINTS' }),
  f('etcd_cafile', S, { env: 'FLANNELD_ETCD_CAFILE' }),
  f('etcd_certfile', S, { env: 'FLANNELD_ETCD_CERTFILE' }),
  f('etcd_keyfile', S, { env: 'FLANNELD_ETCD_KEYFILE' }),
  f('etcd_prefix', S, { env: 'FLANNELD_ETCD_PREFIX' }),
  f('etcd_username', S, { env: 'FLANNELD_ETCD_USERNAME' }),
  f('etcd_password', S, { env: 'FLANNELD_ETCD_PASSWORD' }),
  f('ip_masq', S, { env: 'FLANNELD_IP_MASQ' }),
  f('subnet_file', S, { env: 'FLANNELD_SUBNET_FILE' }),
  f('interface', S, { env: 'FLANNELD_IFACE' }),
  f('public_ip', S, { env: 'FLANNELD_PUBLIC_IP' }),
];

export const FLEET_FIELDS: readonly Field[] = [
  f('agent_ttl', S, { env: 'FLEET_AGENT_TTL' }),
  f('authorized_keys_file', S, { env: 'FLEET_AUTHORIZED_KEYS_FILE' }),
  f('disable_engine', B, { env: 'FLEET_DISABLE_ENGINE' }),
  f('engine_reconcile_interval', F, { env: 'FLEET_ENGINE_RECONCILE_INTERVAL' }),
  f('etcd_cafile', S, { env: 'FLEET_ETCD_CAFILE' }),
  f('etcd_certfile', S, { env: 'FLEET_ETCD_CERTFILE' }),
  f('etcd_keyfile', S, { env: 'FLEET_ETCD_KEYFILE' }),
  f('etcd_key_prefix', S, { env: 'FLEET_ETCD_KEY_PREFIX' }),
  f('etcd_request_timeout', F, { env: 'FLEET_ETCD_REQUEST_TIMEOUT' }),
  f('etcd_servers', S, { env: 'FLEET_ETCD_SERVERS' }),
  f('etcd_username', S, { env: 'FLEET_ETCD_USERNAME' }),
  f('etcd_password', S, { env: 'FLEET_ETCD_PASSWORD' }),
  f('metadata', S, { env: 'FLEET_METADATA' }),
  f('public_ip', S, { env: 'FLEET_PUBLIC_IP' }),
  f('token_limit', I, { env: 'FLEET_TOKEN_LIMIT' }),
  f('verbosity', I, { env: 'FLEET_VERBOSITY' }),
  f('verify_units', B, { env: 'FLEET_VERIFY_UNITS' }),
];

export const LOCKSMITH_FIELDS: readonly Field[] = [
  f('endpoint', S, { env: 'LOCKSMITHD_ENDPOINT' }),
  f('etcd_cafile', S, { env: 'LOCKSMITHD_ETCD_CAFILE' }),
  f('etcd_certfile', S, { env: 'LOCKSMITHD_ETCD_CERTFILE' }),
  f('etcd_keyfile', S, { env: 'LOCKSMITHD_ETCD_KEYFILE' }),
  f('etcd_username', S, { env: 'LOCKSMITHD_ETCD_USERNAME' }),
  f('etcd_password', S, { env: 'LOCKSMITHD_ETCD_PASSWORD' }),
  f('group', S, { env: 'LOCKSMITHD_GROUP' }),
  // Written without the LOCKSMITHD_ prefix, as the original did.
  f('window_start', S, { env: 'REBOOT_WINDOW_START', valid: VALID.windowStart }),
  f('window_length', S, { env: 'REBOOT_WINDOW_LENGTH', valid: VALID.windowLength }),
];

export const OEM_FIELDS: readonly Field[] = [
  f('id', S),
  f('name', S),
  f('version_id', S),
  f('home_url', S),
  f('bug_report_url', S),
];

export const UPDATE_FIELDS: readonly Field[] = [
  f('reboot_strategy', S, { env: 'REBOOT_STRATEGY', valid: VALID.rebootStrategy }),
  f('group', S, { env: 'GROUP' }),
  f('server', S, { env: 'SERVER' }),
];

export const DROPIN_FIELDS: readonly Field[] = [f('name', S), f('content', S)];

export const UNIT_FIELDS: readonly Field[] = [
  f('name', S),
  f('mask', B),
  f('enable', B),
  f('runtime', B),
  f('content', S),
  f('command', S, { valid: VALID.command }),
  f('drop_ins', { k: 'slice', elem: { k: 'struct', fields: DROPIN_FIELDS } }),
];

const REMOTE_KEYS = 'trying to fetch from a remote endpoint introduces too many intermittent errors';

export const USER_FIELDS: readonly Field[] = [
  f('name', S),
  f('passwd', S),
  f('ssh_authorized_keys', SS),
  f('coreos_ssh_import_github', S, { deprecated: REMOTE_KEYS }),
  f('coreos_ssh_import_github_users', SS, { deprecated: REMOTE_KEYS }),
  f('coreos_ssh_import_url', S, { deprecated: REMOTE_KEYS }),
  f('gecos', S),
  f('homedir', S),
  f('no_create_home', B),
  f('primary_group', S),
  f('groups', SS),
  f('no_user_group', B),
  f('system', B),
  f('no_log_init', B),
  f('shell', S),
];

export const FILE_FIELDS: readonly Field[] = [
  f('encoding', S, { valid: VALID.encoding }),
  f('content', S),
  f('owner', S),
  f('path', S),
  f('permissions', S, { valid: VALID.permissions }),
];

export const COREOS_FIELDS: readonly Field[] = [
  // Deliberate difference: the final original warned "etcd is no longer
  // shipped in Container Linux". coracle has no etcd 0.4 either, so it still
  // warns, in its own words, that these options are not supported.
  f('etcd', { k: 'struct', fields: ETCD_FIELDS }, { deprecated: 'etcd 0.4 options are not supported by coracle; use etcd2' }),
  // Deliberate difference: the final original warned that etcd2 and fleet
  // were no longer shipped. coracle ships both, so it does not.
  f('etcd2', { k: 'struct', fields: ETCD2_FIELDS }),
  f('flannel', { k: 'struct', fields: FLANNEL_FIELDS }),
  f('fleet', { k: 'struct', fields: FLEET_FIELDS }),
  f('locksmith', { k: 'struct', fields: LOCKSMITH_FIELDS }),
  f('oem', { k: 'struct', fields: OEM_FIELDS }),
  f('update', { k: 'struct', fields: UPDATE_FIELDS }),
  f('units', { k: 'slice', elem: { k: 'struct', fields: UNIT_FIELDS } }),
];

export const CLOUD_CONFIG_FIELDS: readonly Field[] = [
  f('ssh_authorized_keys', SS),
  f('coreos', { k: 'struct', fields: COREOS_FIELDS }),
  f('write_files', { k: 'slice', elem: { k: 'struct', fields: FILE_FIELDS } }),
  f('hostname', S),
  f('users', { k: 'slice', elem: { k: 'struct', fields: USER_FIELDS } }),
  f('manage_etc_hosts', S),
];

export const CLOUD_CONFIG_TYPE: FieldType = { k: 'struct', fields: CLOUD_CONFIG_FIELDS };

// ---------------------------------------------------------------------------
// The typed objects the decoder produces. Every field is always present,
// holding its zero value when the config did not set it, as in Go.

export interface Etcd {
  addr: string; advertise_client_urls: string; bind_addr: string; ca_file: string; cert_file: string;
  cluster_active_size: number; cluster_remove_delay: number; cluster_sync_interval: number; cors: string;
  data_dir: string; discovery: string; discovery_fallback: string; discovery_srv: string; discovery_proxy: string;
  election_timeout: number; force_new_cluster: boolean; graphite_host: string; heartbeat_interval: number;
  http_read_timeout: number; http_write_timeout: number; initial_advertise_peer_urls: string; initial_cluster: string;
  initial_cluster_state: string; initial_cluster_token: string; key_file: string; listen_client_urls: string;
  listen_peer_urls: string; max_result_buffer: number; max_retry_attempts: number; max_snapshots: number;
  max_wals: number; name: string; peer_addr: string; peer_bind_addr: string; peer_ca_file: string;
  peer_cert_file: string; peer_election_timeout: number; peer_heartbeat_interval: number; peer_key_file: string;
  peers: string; peers_file: string; proxy: string; retry_interval: number; snapshot: boolean;
  snapshot_count: number; trace: string; verbose: boolean; very_verbose: boolean; very_very_verbose: boolean;
}

export interface Etcd2 {
  advertise_client_urls: string; ca_file: string; cert_file: string; client_cert_auth: boolean; cors: string;
  data_dir: string; debug: boolean; discovery: string; discovery_fallback: string; discovery_srv: string;
  discovery_proxy: string; election_timeout: number; enable_pprof: boolean; force_new_cluster: boolean;
  heartbeat_interval: number; initial_advertise_peer_urls: string; initial_cluster: string;
  initial_cluster_state: string; initial_cluster_token: string; key_file: string; listen_client_urls: string;
  listen_peer_urls: string; log_package_levels: string; max_snapshots: number; max_wals: number; name: string;
  peer_ca_file: string; peer_cert_file: string; peer_key_file: string; peer_client_cert_auth: boolean;
  peer_trusted_ca_file: string; proxy: string; proxy_dial_timeout: number; proxy_failure_wait: number;
  proxy_read_timeout: number; proxy_refresh_interval: number; proxy_write_timeout: number; snapshot_count: number;
  strict_reconfig_check: boolean; trusted_ca_file: string; wal_dir: string;
}

export interface Flannel {
  etcd_endpoints: string; etcd_cafile: string; etcd_certfile: string; etcd_keyfile: string; etcd_prefix: string;
  etcd_username: string; etcd_password: string; ip_masq: string; subnet_file: string; interface: string;
  public_ip: string;
}

export interface Fleet {
  agent_ttl: string; authorized_keys_file: string; disable_engine: boolean; engine_reconcile_interval: number;
  etcd_cafile: string; etcd_certfile: string; etcd_keyfile: string; etcd_key_prefix: string;
  etcd_request_timeout: number; etcd_servers: string; etcd_username: string; etcd_password: string;
  metadata: string; public_ip: string; token_limit: number; verbosity: number; verify_units: boolean;
}

export interface Locksmith {
  endpoint: string; etcd_cafile: string; etcd_certfile: string; etcd_keyfile: string; etcd_username: string;
  etcd_password: string; group: string; window_start: string; window_length: string;
}

export interface OEM {
  id: string; name: string; version_id: string; home_url: string; bug_report_url: string;
}

export interface Update {
  reboot_strategy: string; group: string; server: string;
}

export interface UnitDropIn {
  name: string; content: string;
}

export interface Unit {
  name: string; mask: boolean; enable: boolean; runtime: boolean; content: string; command: string;
  drop_ins: UnitDropIn[];
}

export interface User {
  name: string; passwd: string; ssh_authorized_keys: string[]; coreos_ssh_import_github: string;
  coreos_ssh_import_github_users: string[]; coreos_ssh_import_url: string; gecos: string; homedir: string;
  no_create_home: boolean; primary_group: string; groups: string[]; no_user_group: boolean; system: boolean;
  no_log_init: boolean; shell: string;
  /** Ignition's passwd.users[].uid; cloud-config has no such field. */
  uid?: number;
}

export interface WriteFile {
  encoding: string;
  /** The content as text (bytes that are not UTF-8 appear as Latin-1). */
  content: string;
  owner: string; path: string; permissions: string;
}

export interface CoreOS {
  etcd: Etcd; etcd2: Etcd2; flannel: Flannel; fleet: Fleet; locksmith: Locksmith; oem: OEM; update: Update;
  units: Unit[];
}

export interface CloudConfig {
  ssh_authorized_keys: string[];
  coreos: CoreOS;
  write_files: WriteFile[];
  hostname: string;
  users: User[];
  manage_etc_hosts: string;
}
