// The v2 members API (list, add, remove, update, leader), with the Go client's
// status checks: anything but the expected statuses is `unexpected status code N`.

import type { CallOptions, Client, RawResponse } from './cluster.js';
import { MembersError, UnexpectedStatusError } from './errors.js';
import type { Member } from './types.js';
import { buildURL } from './urls.js';

const MEMBERS = '/v2/members';
const jsonHeaders = { 'Content-Type': 'application/json' };

function expect(res: RawResponse, ...want: number[]): void {
  if (!want.includes(res.status)) throw new UnexpectedStatusError(res.status);
}

function parseJSON(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8')) as unknown;
}

function toMember(x: unknown): Member {
  const o = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return {
    id: typeof o.id === 'string' ? o.id : '',
    name: typeof o.name === 'string' ? o.name : '',
    peerURLs: strings(o.peerURLs),
    clientURLs: strings(o.clientURLs),
  };
}

function membersError(res: RawResponse): MembersError {
  const o = parseJSON(res.body);
  const message = typeof o === 'object' && o !== null && typeof (o as Record<string, unknown>).message === 'string'
    ? ((o as Record<string, unknown>).message as string)
    : '';
  return new MembersError(message, res.status);
}

/**
 * types.NewURLs: each URL trimmed, scheme http/https/unix/unixs, host:port, no
 * path; returned sorted. Throws with etcd's wording.
 */
export function validatePeerURLs(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new Error('no valid URLs given');
  const out = urls.map((raw) => {
    const s = raw.trim();
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(s);
    const scheme = m?.[1] ?? '';
    if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) {
      throw new Error(`URL scheme must be http, https, unix, or unixs: ${s}`);
    }
    const host = m?.[2] ?? '';
    if (!/^(\[[^\]]*\]|[^:]*):[0-9A-Za-z]*$/.test(host)) {
      throw new Error(`URL address does not have the form "host:port": ${s}`);
    }
    const rest = m?.[3] ?? '';
    if (rest !== '' && !rest.startsWith('?') && !rest.startsWith('#')) throw new Error(`URL must not contain a path: ${s}`);
    return s;
  });
  return out.sort();
}

export async function listMembers(client: Client, call: CallOptions = {}): Promise<Member[]> {
  const res = await client.do((ep) => ({ method: 'GET', url: buildURL(ep, MEMBERS) }), call);
  expect(res, 200);
  const o = parseJSON(res.body);
  const list = typeof o === 'object' && o !== null ? (o as Record<string, unknown>).members : undefined;
  return Array.isArray(list) ? list.map(toMember) : [];
}

export class MembersAPI {
  constructor(readonly client: Client) {}

  list(call: CallOptions = {}): Promise<Member[]> {
    return listMembers(this.client, call);
  }

  /** Adds a member by its peer URL(s); 409 (URL or ID exists) is a MembersError. */
  async add(peerURLs: string | readonly string[], call: CallOptions = {}): Promise<Member> {
    const urls = validatePeerURLs(typeof peerURLs === 'string' ? [peerURLs] : peerURLs);
    const body = JSON.stringify({ peerURLs: urls });
    const res = await this.client.do((ep) => ({ method: 'POST', url: buildURL(ep, MEMBERS), headers: jsonHeaders, body }), call);
    expect(res, 201, 409);
    if (res.status !== 201) throw membersError(res);
    return toMember(parseJSON(res.body));
  }

  /** Removes a member by hex ID; 410 (already removed) counts as done. */
  async remove(id: string, call: CallOptions = {}): Promise<void> {
    const res = await this.client.do((ep) => ({ method: 'DELETE', url: buildURL(ep, `${MEMBERS}/${id}`) }), call);
    expect(res, 204, 410);
  }

  /** Replaces a member's peer URLs; 404/409 are MembersErrors. */
  async update(id: string, peerURLs: readonly string[], call: CallOptions = {}): Promise<void> {
    const urls = validatePeerURLs(peerURLs);
    const body = JSON.stringify({ peerURLs: urls });
    const res = await this.client.do(
      (ep) => ({ method: 'PUT', url: buildURL(ep, `${MEMBERS}/${id}`), headers: jsonHeaders, body }),
      call,
    );
    expect(res, 204, 404, 409);
    if (res.status !== 204) throw membersError(res);
  }

  async leader(call: CallOptions = {}): Promise<Member> {
    const res = await this.client.do((ep) => ({ method: 'GET', url: buildURL(ep, `${MEMBERS}/leader`) }), call);
    expect(res, 200);
    return toMember(parseJSON(res.body));
  }
}
