// How a member answers /v2/keys, as etcd 3.4 does (captured from a real
// etcd 3.4.23 --enable-v2): status, headers and body for events, errors,
// watches and wrong methods. Pure: the HTTP layer writes what this returns.
import type { Event, V2Error } from '../../store/index.js';
import { isCreated, KEYS_PREFIX, renderEvent } from '../../store/index.js';

export interface Reply {
  status: number;
  /** In the order written. Go writes headers sorted by name; so do we. */
  headers: Array<[string, string]>;
  /** Omitted for HEAD, which carries the headers (and length) only. */
  body: string;
  /** For HEAD: the byte length of the body a GET would carry (Go reports it in Content-Length). */
  headLength?: number;
}

/** What etcd 3.4 adds to every client response by default (--cors '*'). */
export const CORS_HEADERS: ReadonlyArray<[string, string]> = [
  ['Access-Control-Allow-Headers', 'accept, content-type, authorization'],
  ['Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE'],
  ['Access-Control-Allow-Origin', '*'],
];

export interface RaftPosition {
  /** The member's Raft commit index when it answered. */
  raftIndex: number;
  raftTerm: number;
}

function sorted(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * A successful keys response. `etcdIndex` is the store's index after the
 * operation (for a GET: its current index).
 */
export function eventReply(
  event: Event,
  opts: { clusterId: string; etcdIndex: number; raft: RaftPosition; noValueOnSuccess?: boolean; head?: boolean },
): Reply {
  const body = renderEvent(event, { trimPrefix: KEYS_PREFIX, noValueOnSuccess: opts.noValueOnSuccess === true });
  return {
    status: isCreated(event) ? 201 : 200,
    headers: successHeaders(opts),
    body: opts.head ? '' : body,
    ...(opts.head ? { headLength: Buffer.byteLength(body) } : {}),
  };
}

/** An error: etcd's JSON body, its status, and only X-Etcd-Index (no Raft headers). */
export function errorReply(err: V2Error, opts: { clusterId: string; head?: boolean }): Reply {
  const e = err.trimCausePrefix(KEYS_PREFIX);
  return {
    status: e.status,
    headers: sorted([
      ...CORS_HEADERS,
      ['Content-Type', 'application/json'],
      ['X-Etcd-Cluster-Id', opts.clusterId],
      ['X-Etcd-Index', String(e.index)],
    ]),
    body: opts.head ? '' : e.body(),
    ...(opts.head ? { headLength: Buffer.byteLength(e.body()) } : {}),
  };
}

/** A success's headers; a watch sends them at once, before any event (its body is chunked). */
export function successHeaders(opts: { clusterId: string; etcdIndex: number; raft: RaftPosition }): Array<[string, string]> {
  return sorted([
    ...CORS_HEADERS,
    ['Content-Type', 'application/json'],
    ['X-Etcd-Cluster-Id', opts.clusterId],
    ['X-Etcd-Index', String(opts.etcdIndex)],
    ['X-Raft-Index', String(opts.raft.raftIndex)],
    ['X-Raft-Term', String(opts.raft.raftTerm)],
  ]);
}

/** Go's http.Error for a method the keys endpoint does not take. */
export function methodNotAllowed(allow: string): Reply {
  return {
    status: 405,
    headers: sorted([
      ...CORS_HEADERS,
      ['Allow', allow],
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['X-Content-Type-Options', 'nosniff'],
    ]),
    body: 'Method Not Allowed\n',
  };
}

export const KEYS_ALLOWED_METHODS = 'HEAD,GET,PUT,POST,DELETE';
