// The one registry of etcd v2 API errors (etcdserver/api/v2error/error.go).
// Every code has its exact message and the HTTP status etcd answers with.
// Callers build errors by name (`newError(Ecode.KeyNotFound, cause, index)`);
// an error is a value, returned, never thrown.

import { goQuote } from './gojson.js';

export const Ecode = {
  KeyNotFound: 100,
  TestFailed: 101,
  NotFile: 102,
  NoMorePeer: 103,
  NotDir: 104,
  NodeExist: 105,
  KeyIsPreserved: 106,
  RootROnly: 107,
  DirNotEmpty: 108,
  ExistingPeerAddr: 109,
  Unauthorized: 110,

  ValueRequired: 200,
  PrevValueRequired: 201,
  TTLNaN: 202,
  IndexNaN: 203,
  ValueOrTTLRequired: 204,
  TimeoutNaN: 205,
  NameRequired: 206,
  IndexOrValueRequired: 207,
  IndexValueMutex: 208,
  InvalidField: 209,
  InvalidForm: 210,
  RefreshValue: 211,
  RefreshTTLRequired: 212,

  RaftInternal: 300,
  LeaderElect: 301,

  WatcherCleared: 400,
  EventIndexCleared: 401,
  StandbyInternal: 402,
  InvalidActiveSize: 403,
  InvalidRemoveDelay: 404,

  ClientInternal: 500,
} as const;

export type ErrorCode = (typeof Ecode)[keyof typeof Ecode];

interface ErrorSpec {
  readonly message: string;
  readonly status: number;
}

// HTTP status is 400 for every code not listed with another status
// (so 104, 107 and even 401 EventIndexCleared answer 400).
const registry: ReadonlyMap<ErrorCode, ErrorSpec> = new Map<ErrorCode, ErrorSpec>([
  [Ecode.KeyNotFound, { message: 'Key not found', status: 404 }],
  [Ecode.TestFailed, { message: 'Compare failed', status: 412 }],
  [Ecode.NotFile, { message: 'Not a file', status: 403 }],
  [Ecode.NoMorePeer, { message: 'Reached the max number of peers in the cluster', status: 400 }],
  [Ecode.NotDir, { message: 'Not a directory', status: 400 }],
  [Ecode.NodeExist, { message: 'Key already exists', status: 412 }],
  [Ecode.KeyIsPreserved, { message: 'The prefix of given key is a keyword in etcd', status: 400 }],
  [Ecode.RootROnly, { message: 'Root is read only', status: 400 }],
  [Ecode.DirNotEmpty, { message: 'Directory not empty', status: 403 }],
  [Ecode.ExistingPeerAddr, { message: 'Peer address has existed', status: 400 }],
  [Ecode.Unauthorized, { message: 'The request requires user authentication', status: 401 }],

  [Ecode.ValueRequired, { message: 'Value is Required in POST form', status: 400 }],
  [Ecode.PrevValueRequired, { message: 'PrevValue is Required in POST form', status: 400 }],
  [Ecode.TTLNaN, { message: 'The given TTL in POST form is not a number', status: 400 }],
  [Ecode.IndexNaN, { message: 'The given index in POST form is not a number', status: 400 }],
  [Ecode.ValueOrTTLRequired, { message: 'Value or TTL is required in POST form', status: 400 }],
  [Ecode.TimeoutNaN, { message: 'The given timeout in POST form is not a number', status: 400 }],
  [Ecode.NameRequired, { message: 'Name is required in POST form', status: 400 }],
  [Ecode.IndexOrValueRequired, { message: 'Index or value is required', status: 400 }],
  [Ecode.IndexValueMutex, { message: 'Index and value cannot both be specified', status: 400 }],
  [Ecode.InvalidField, { message: 'Invalid field', status: 400 }],
  [Ecode.InvalidForm, { message: 'Invalid POST form', status: 400 }],
  [Ecode.RefreshValue, { message: 'Value provided on refresh', status: 400 }],
  [Ecode.RefreshTTLRequired, { message: 'A TTL must be provided on refresh', status: 400 }],

  [Ecode.RaftInternal, { message: 'Raft Internal Error', status: 500 }],
  [Ecode.LeaderElect, { message: 'During Leader Election', status: 500 }],

  [Ecode.WatcherCleared, { message: 'watcher is cleared due to etcd recovery', status: 400 }],
  [Ecode.EventIndexCleared, { message: 'The event in requested index is outdated and cleared', status: 400 }],
  [Ecode.StandbyInternal, { message: 'Standby Internal Error', status: 400 }],
  [Ecode.InvalidActiveSize, { message: 'Invalid active size', status: 400 }],
  [Ecode.InvalidRemoveDelay, { message: 'Standby remove delay', status: 400 }],

  [Ecode.ClientInternal, { message: 'Client Internal Error', status: 400 }],
]);

function specOf(code: ErrorCode): ErrorSpec {
  const spec = registry.get(code);
  if (spec === undefined) throw new Error(`v2 error registry has no code ${code}`);
  return spec;
}

/** Every registered code, ascending. */
export const allErrorCodes: readonly ErrorCode[] = [...registry.keys()].sort((a, b) => a - b);

/** An etcd v2 error as the API reports it. Immutable. */
export class V2Error {
  readonly message: string;

  constructor(
    readonly code: ErrorCode,
    readonly cause: string,
    /** etcd index: the store's current index for store errors, 0 for request-parse errors. */
    readonly index: number,
  ) {
    this.message = specOf(code).message;
  }

  /** The HTTP status etcd answers this error with. */
  get status(): number {
    return specOf(this.code).status;
  }

  withIndex(index: number): V2Error {
    return new V2Error(this.code, this.cause, index);
  }

  /** etcd's HTTP layer strips the keys namespace (`/1`) from causes once, like strings.TrimPrefix. */
  trimCausePrefix(prefix: string): V2Error {
    if (prefix === '' || !this.cause.startsWith(prefix)) return this;
    return new V2Error(this.code, this.cause.slice(prefix.length), this.index);
  }

  /** `{"errorCode":N,"message":"…","cause":"…","index":N}` with cause omitted when empty (Go omitempty). */
  toJSONString(): string {
    const cause = this.cause === '' ? '' : `,"cause":${goQuote(this.cause)}`;
    return `{"errorCode":${this.code},"message":${goQuote(this.message)}${cause},"index":${this.index}}`;
  }

  /** The response body etcd writes: the JSON plus a newline. */
  body(): string {
    return this.toJSONString() + '\n';
  }

  /** How the Go client prints it: `N: message (cause) [index]`. */
  toString(): string {
    return `${this.code}: ${this.message} (${this.cause}) [${this.index}]`;
  }
}

/** A store error (index = current etcd index) or, with index 0, a request-parse error. */
export function newError(code: ErrorCode, cause = '', index = 0): V2Error {
  return new V2Error(code, cause, index);
}

export function isV2Error(x: unknown): x is V2Error {
  return x instanceof V2Error;
}
