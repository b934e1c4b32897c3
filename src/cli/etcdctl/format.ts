// Output of key responses in etcdctl's three formats. `-o json` is Go's
// json.Marshal of the Go client's Response struct, so field order, `null`s
// and escaping follow that struct, not etcd's wire JSON.

import type { KeysResponse, Node } from '../../client/index.js';
import { goQuote } from '../../store/gojson.js';
import type { Io } from './io.js';

/** client.Node: key, dir (omitempty), value, nodes, createdIndex, modifiedIndex, expiration, ttl (omitempty). */
export function goNodeJSON(n: Node | undefined): string {
  if (n === undefined) return 'null';
  let s = `{"key":${goQuote(n.key ?? '')}`;
  if (n.dir === true) s += ',"dir":true';
  s += `,"value":${goQuote(n.value ?? '')}`;
  s += `,"nodes":${n.nodes === undefined ? 'null' : '[' + n.nodes.map(goNodeJSON).join(',') + ']'}`;
  s += `,"createdIndex":${n.createdIndex ?? 0},"modifiedIndex":${n.modifiedIndex ?? 0}`;
  if (n.expiration !== undefined) s += `,"expiration":${goQuote(n.expiration)}`;
  if (n.ttl !== undefined && n.ttl !== 0) s += `,"ttl":${n.ttl}`;
  return s + '}';
}

export function goResponseJSON(r: KeysResponse): string {
  return `{"action":${goQuote(r.action)},"node":${goNodeJSON(r.node)},"prevNode":${goNodeJSON(r.prevNode)}}`;
}

/** printResponseKey from etcdctl/ctlv2/command/format.go. */
export function printResponseKey(io: Io, resp: KeysResponse, format: string): void {
  const node = resp.node ?? {};
  switch (format) {
    case 'simple':
      if (resp.action !== 'delete') io.out(`${node.value ?? ''}\n`);
      else io.out(`PrevNode.Value: ${resp.prevNode?.value ?? ''}\n`);
      break;
    case 'extended':
      io.out(`Key: ${node.key ?? ''}\n`);
      io.out(`Created-Index: ${node.createdIndex ?? 0}\n`);
      io.out(`Modified-Index: ${node.modifiedIndex ?? 0}\n`);
      if (resp.prevNode !== undefined) io.out(`PrevNode.Value: ${resp.prevNode.value ?? ''}\n`);
      io.out(`TTL: ${node.ttl ?? 0}\n`);
      io.out(`Index: ${resp.index}\n`);
      if (resp.action !== 'delete') io.out(`\n${node.value ?? ''}\n`);
      break;
    case 'json':
      io.out(goResponseJSON(resp) + '\n');
      break;
    default:
      io.err(`Unsupported output format: ${format}\n`);
  }
}
