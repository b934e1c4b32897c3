// JSON rendering byte-exact with Go's encoding/json of etcd's Event and
// NodeExtern: field order key, value, dir, expiration, ttl, nodes,
// modifiedIndex, createdIndex; every field omitempty.

import { Action, type Event, type NodeExtern } from './event.js';
import { goQuote } from './gojson.js';
import { formatRFC3339Nano } from './gotime.js';

export interface RenderOptions {
  /** Namespace stripped from keys once, like etcd's trimEventPrefix (`/1` for the keys API). */
  readonly trimPrefix?: string;
  /** `noValueOnSuccess=true`: set/create/update/CAS render as `{"action":"…"}` only. */
  readonly noValueOnSuccess?: boolean;
  /** Snapshots keep the refresh mark; the HTTP API never shows it (etcd's Event.Clone drops it). */
  readonly includeRefresh?: boolean;
}

export function nodeToJSON(n: NodeExtern, trimPrefix = ''): string {
  let key = n.key;
  if (trimPrefix !== '' && key.startsWith(trimPrefix)) key = key.slice(trimPrefix.length);
  const parts: string[] = [];
  if (key !== '') parts.push(`"key":${goQuote(key)}`);
  if (n.value !== undefined) parts.push(`"value":${goQuote(n.value)}`);
  if (n.dir) parts.push('"dir":true');
  if (n.expiration !== undefined) parts.push(`"expiration":"${formatRFC3339Nano(n.expiration)}"`);
  if (n.ttl !== 0) parts.push(`"ttl":${n.ttl}`);
  if (n.nodes !== undefined && n.nodes.length > 0) {
    parts.push(`"nodes":[${n.nodes.map((c) => nodeToJSON(c, trimPrefix)).join(',')}]`);
  }
  if (n.modifiedIndex !== 0) parts.push(`"modifiedIndex":${n.modifiedIndex}`);
  if (n.createdIndex !== 0) parts.push(`"createdIndex":${n.createdIndex}`);
  return `{${parts.join(',')}}`;
}

const valueActions: ReadonlySet<string> = new Set([
  Action.Set,
  Action.CompareAndSwap,
  Action.Create,
  Action.Update,
]);

export function eventToJSON(e: Event, opts: RenderOptions = {}): string {
  const trim = opts.trimPrefix ?? '';
  let s = `{"action":${goQuote(e.action)}`;
  if (!(opts.noValueOnSuccess === true && valueActions.has(e.action))) {
    s += `,"node":${nodeToJSON(e.node, trim)}`;
    if (e.prevNode !== undefined) s += `,"prevNode":${nodeToJSON(e.prevNode, trim)}`;
  }
  if (opts.includeRefresh === true && e.refresh) s += ',"refresh":true';
  return s + '}';
}

/** The HTTP body etcd writes for an event: JSON plus the newline of Go's json.Encoder. */
export function renderEvent(e: Event, opts: RenderOptions = {}): string {
  return eventToJSON(e, opts) + '\n';
}
