// The etcd v2 key store: pure tree, TTLs, watches, rendering, snapshots.
export { Ecode, V2Error, newError, isV2Error, allErrorCodes, type ErrorCode } from './errors.js';
export { Action, isCreated, eventIndex, type ActionName, type Event, type NodeExtern } from './event.js';
export { renderEvent, eventToJSON, nodeToJSON, type RenderOptions } from './render.js';
export { Store, keysPath, CLUSTER_PREFIX, KEYS_PREFIX, STORE_VERSION, type StoreOptions, type TTLOptions, type Result } from './store.js';
export { Watcher } from './watcher.js';
export { SnapshotError, parseStoreSnapshot, type ParsedStoreSnapshot } from './snapshot.js';
export { applyRequest, type V2Request, type ApplyResult } from './apply.js';
export { statFields, type StatsValues } from './stats.js';
export {
  formatRFC3339Nano,
  parseRFC3339Nano,
  ttlSeconds,
  nanosFromMillis,
  nanosFromSeconds,
  MIN_EXPIRE_TIME,
  type UnixNanos,
} from './gotime.js';
export { goQuote, compareBytewise } from './gojson.js';
export { cleanPath, joinPath } from '../common/gopath.js';
