// The etcd v2 client: `new EtcdClient({ endpoints })` then `.keys`, `.members`,
// `.version()`, `.health()`, `.stats*()`.

import { Client, type CallOptions, type ClientOptions } from './cluster.js';
import { health, leaderStats, selfStats, storeStats, version } from './info.js';
import { KeysAPI } from './keys.js';
import { MembersAPI } from './members.js';
import type { LeaderStats, SelfStats, StoreStats, Versions } from './types.js';

export class EtcdClient extends Client {
  readonly keys: KeysAPI;
  readonly members: MembersAPI;

  constructor(options: ClientOptions) {
    super(options);
    this.keys = new KeysAPI(this);
    this.members = new MembersAPI(this);
  }

  version(call?: CallOptions): Promise<Versions> {
    return version(this, call);
  }

  health(call?: CallOptions): Promise<boolean> {
    return health(this, call);
  }

  selfStats(call?: CallOptions): Promise<SelfStats> {
    return selfStats(this, call);
  }

  leaderStats(call?: CallOptions): Promise<LeaderStats> {
    return leaderStats(this, call);
  }

  storeStats(call?: CallOptions): Promise<StoreStats> {
    return storeStats(this, call);
  }
}

export { Client } from './cluster.js';
export type { Action, CallOptions, ClientOptions, RawResponse, StreamResponse } from './cluster.js';
export * from './errors.js';
export { KeysAPI, KEYS_PREFIX } from './keys.js';
export type { CreateInOrderOptions, DeleteOptions, GetOptions, SetOptions } from './keys.js';
export { MembersAPI, validatePeerURLs } from './members.js';
export { memberHealth, parseHealth } from './info.js';
export type { MemberHealthOptions } from './info.js';
export { Watcher } from './watcher.js';
export type { WatcherOptions } from './watcher.js';
export type * from './types.js';
