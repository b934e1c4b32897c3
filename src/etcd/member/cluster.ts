// Cluster membership: who the members are, where they listen, and the
// cluster's ID. Parsed from --initial-cluster at bootstrap, changed at run
// time through Raft configuration changes, and kept in the store's hidden
// namespace exactly where etcd keeps it, so snapshots carry it:
//
//   /0/members/<id>/raftAttributes  {"peerURLs":[…]}
//   /0/members/<id>/attributes      {"name":"…","clientURLs":[…]}
//   /0/removed_members/<id>         ""
import { computeClusterId, computeMemberId, hexToId } from './ids.js';

export interface Member {
  id: string;
  /** Empty until the member publishes its attributes (an added member that has not started yet). */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export class MembershipError extends Error {}

/** `name=url,name=url2,…`; one name may appear with several URLs. */
export function parseInitialCluster(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new MembershipError(`invalid value "${trimmed}" in --initial-cluster: expected name=url`);
    const name = trimmed.slice(0, eq);
    const url = trimmed.slice(eq + 1);
    checkPeerURL(url);
    const list = out.get(name) ?? [];
    if (list.includes(url)) throw new MembershipError(`--initial-cluster lists ${name}=${url} twice`);
    list.push(url);
    out.set(name, list);
  }
  if (out.size === 0) throw new MembershipError('--initial-cluster is empty');
  return out;
}

/** etcd's types.NewURLs check, with its error text. */
export function checkPeerURL(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MembershipError(`URL scheme must be http, https, unix, or unixs: ${url}`);
  }
  if (!['http:', 'https:', 'unix:', 'unixs:'].includes(u.protocol)) {
    throw new MembershipError(`URL scheme must be http, https, unix, or unixs: ${url}`);
  }
  if (u.pathname !== '/' && u.pathname !== '') throw new MembershipError(`URL must not contain a path: ${url}`);
  if (u.port === '' && (u.protocol === 'http:' || u.protocol === 'https:')) {
    throw new MembershipError(`URL address does not have the form "host:port": ${url}`);
  }
}

export class Cluster {
  readonly members = new Map<string, Member>();
  readonly removed = new Set<string>();
  id: string;

  constructor(id = '') {
    this.id = id;
  }

  /** The founding members of a new cluster, as every founder computes them. */
  static bootstrap(initialCluster: string, clusterToken: string): Cluster {
    const c = new Cluster();
    for (const [name, urls] of parseInitialCluster(initialCluster)) {
      const id = computeMemberId(urls, clusterToken);
      if (c.members.has(id)) throw new MembershipError(`member ${id} (${name}) appears twice in --initial-cluster`);
      c.members.set(id, { id, name, peerURLs: [...urls].sort(), clientURLs: [] });
    }
    c.id = computeClusterId([...c.members.keys()]);
    return c;
  }

  memberByName(name: string): Member | undefined {
    for (const m of this.members.values()) if (m.name === name) return m;
    return undefined;
  }

  /** Members in ascending ID order, as etcd lists them. */
  sorted(): Member[] {
    return [...this.members.values()].sort((a, b) => {
      const x = hexToId(a.id) ?? 0n;
      const y = hexToId(b.id) ?? 0n;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }

  peerURLInUse(url: string, except?: string): Member | undefined {
    for (const m of this.members.values()) if (m.id !== except && m.peerURLs.includes(url)) return m;
    return undefined;
  }
}

/** A member as /v2/members shows it (field order as etcd's JSON). */
export function memberJSON(m: Member): string {
  return JSON.stringify({ id: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs });
}

export function membersJSON(c: Cluster): string {
  return `{"members":[${c.sorted().map(memberJSON).join(',')}]}\n`;
}

/** The store keys holding a member, under the hidden `/0` namespace. */
export const memberKeys = {
  raftAttributes: (id: string) => `/0/members/${id}/raftAttributes`,
  attributes: (id: string) => `/0/members/${id}/attributes`,
  removed: (id: string) => `/0/removed_members/${id}`,
  version: '/0/version',
};

/** The JSON etcd stores for a member's Raft attributes and attributes. */
export function raftAttributesJSON(m: Pick<Member, 'peerURLs'>): string {
  return JSON.stringify({ peerURLs: m.peerURLs });
}

export function attributesJSON(m: Pick<Member, 'name' | 'clientURLs'>): string {
  return JSON.stringify({ name: m.name, clientURLs: m.clientURLs });
}
