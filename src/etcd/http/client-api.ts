// The client API of a member (port 2379, and 4001 where listed): the v2 keys
// API, members, machines, stats, version, health and metrics — each answering
// as etcd 3.4 with --enable-v2 does (bodies, statuses and content types
// captured from a real etcd 3.4.23).
import type http from 'node:http';
import type { ConfChange } from '../../raft/index.js';
import type { MemberContext } from '../server/payload.js';
import type { V2Request } from '../../store/index.js';
import { cleanPath, Ecode, isV2Error, KEYS_PREFIX, newError, renderEvent, V2Error } from '../../store/index.js';
import { MAX_FORM_BYTES } from '../keys/form.js';
import type { KeysMethod, KeysRequest } from '../keys/request.js';
import { parseKeysRequest } from '../keys/request.js';
import type { Reply } from '../keys/response.js';
import { CORS_HEADERS, errorReply, eventReply, KEYS_ALLOWED_METHODS, methodNotAllowed, successHeaders } from '../keys/response.js';
import { checkPeerURL, memberJSON, MembershipError, membersJSON } from '../member/cluster.js';
import { computeMemberId } from '../member/ids.js';
import type { EtcdServer } from '../server/server.js';
import { CLUSTER_VERSION, RequestTimeoutError, ServerStoppedError } from '../server/server.js';
import { formatMetrics } from './metrics.js';
import { compareBytewise, goQuote } from '../../store/gojson.js';
import { requestTarget } from '../../common/request-target.js';

/** The etcd release whose v2 API coracle speaks; clients that check versions see this. */
export const ETCD_SERVER_VERSION = '3.4.23';

const KEYS_PATH = '/v2/keys';

/**
 * Go's net/http framing of a handler that writes its body in one Write: up to
 * 2048 bytes (the response buffer) are held until the handler returns and get
 * a Content-Length; a larger write goes out at once, so the answer is chunked
 * (and a HEAD answer then has no length at all). HEAD carries the length of
 * the body it would have had.
 */
const GO_RESPONSE_BUFFER = 2048;

function send(res: http.ServerResponse, r: Reply): void {
  const length = r.headLength ?? Buffer.byteLength(r.body);
  const framing: Array<[string, string]> = length > GO_RESPONSE_BUFFER ? [] : [['Content-Length', String(length)]];
  res.writeHead(r.status, [...r.headers, ...framing].flat());
  res.end(r.body);
}

function plain(res: http.ServerResponse, status: number, body: string, extra: Array<[string, string]> = []): void {
  res.writeHead(status, [...CORS_HEADERS, ['Content-Type', 'text/plain; charset=utf-8'], ...extra, ['Content-Length', String(Buffer.byteLength(body))]].flat());
  res.end(body);
}

function json(res: http.ServerResponse, status: number, body: string, extra: Array<[string, string]> = []): void {
  res.writeHead(status, [...CORS_HEADERS, ['Content-Type', 'application/json'], ...extra, ['Content-Length', String(Buffer.byteLength(body))]].flat());
  res.end(body);
}

/** Read a body up to `limit` bytes; past that, report it too large without keeping it. */
function readBody(req: http.IncomingMessage, limit: number): Promise<{ body: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve({ body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge }));
    req.on('error', reject);
  });
}

/** The error a client sees for a request the cluster could not complete. */
function raftError(err: unknown): V2Error {
  if (err instanceof RequestTimeoutError || err instanceof ServerStoppedError) return newError(Ecode.RaftInternal, err.message, 0);
  return newError(Ecode.RaftInternal, (err as Error).message, 0);
}

export interface ClientApiOptions {
  server: EtcdServer;
  clusterToken: string;
}

export function clientApiHandler(opts: ClientApiOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { server } = opts;
  return (req, res) => {
    // etcd 3.4 wraps its whole client mux in a CORS handler (--cors '*'): it answers any OPTIONS
    // request itself with 200, the CORS headers and an empty body, before routing.
    if (req.method === 'OPTIONS') {
      res.writeHead(200, [...CORS_HEADERS, ['Content-Length', '0']].flat());
      res.end();
      req.resume();
      return;
    }
    if (redirectUncleanPath(req, res)) return;
    const url = requestTarget(req.url);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('400 Bad Request');
      return;
    }
    const path = url.pathname;
    const done = (p: Promise<void>) =>
      p.catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, '{"message":"Internal Server Error"}\n');
        else res.destroy();
        server.logError('client request failed', err);
      });
    if (path === KEYS_PATH || path.startsWith(`${KEYS_PATH}/`)) return void done(keys(server, req, res, url));
    if (path === '/v2/members' || path.startsWith('/v2/members/')) return void done(members(opts, req, res, path));
    switch (path) {
      case '/version':
        return json(res, 200, JSON.stringify({ etcdserver: ETCD_SERVER_VERSION, etcdcluster: CLUSTER_VERSION }));
      case '/health':
        return void done(health(server, res));
      case '/v2/machines':
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed('GET,HEAD'));
        // RaftCluster.ClientURLs(): every member's client URLs, sort.Strings'd (not in member order).
        return plain(res, 200, server.cluster.sorted().flatMap((m) => m.clientURLs).sort(compareBytewise).join(', '));
      case '/v2/stats/self':
        if (req.method !== 'GET') return send(res, methodNotAllowed('GET'));
        return json(res, 200, selfStats(server));
      case '/v2/stats/store':
        if (req.method !== 'GET') return send(res, methodNotAllowed('GET'));
        return json(res, 200, server.store.statsJSON());
      case '/v2/stats/leader':
        if (req.method !== 'GET') return send(res, methodNotAllowed('GET'));
        if (!server.isLeader) return json(res, 403, '{"message":"not current leader"}');
        return json(res, 200, leaderStats(server));
      case '/metrics':
        return plain(res, 200, formatMetrics(server), [['Content-Type', 'text/plain; version=0.0.4']]);
      default:
        // http.NotFound, inside the CORS handler.
        return plain(res, 404, '404 page not found\n', [['X-Content-Type-Options', 'nosniff']]);
    }
  };
}

// --- Go's ServeMux: unclean paths are redirected -----------------------------------

/** url.PathUnescape-like decoding of a request path (Go's URL.Path); undefined if an escape is invalid. */
function goUnescapePath(p: string): string | undefined {
  if (!p.includes('%')) return p;
  const bytes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x25) {
      const h = /^[0-9a-fA-F]{2}$/.test(p.slice(i + 1, i + 3)) ? parseInt(p.slice(i + 1, i + 3), 16) : -1;
      if (h < 0) return undefined;
      bytes.push(h);
      i += 2;
    } else {
      for (const b of Buffer.from(p[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** ServeMux's cleanPath: path.Clean, keeping a trailing slash. */
function muxCleanPath(p: string): string {
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  let np = cleanPath(p);
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** url.URL{Path: p}.EscapedPath(): escape everything but unreserved and $&+,/:;=@ characters. */
function goEscapePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~$&+,/:;=@]/.test(ch)) out += ch;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;' })[c]!);
}

/**
 * etcd serves its client API through Go's http.ServeMux, which answers a
 * request whose path is not clean (`//`, `.`, `..`) with a 301 to the cleaned
 * path (query kept) instead of serving it — and http.Redirect writes a short
 * HTML body for GET only.
 */
function redirectUncleanPath(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const rawQuery = q < 0 ? '' : raw.slice(q + 1);
  const decoded = goUnescapePath(rawPath);
  if (decoded === undefined || req.method === 'CONNECT') return false;
  const clean = muxCleanPath(decoded);
  if (clean === decoded) return false;
  const location = goEscapePath(clean) + (rawQuery !== '' ? `?${rawQuery}` : '');
  const headers: Array<[string, string]> = [...CORS_HEADERS, ['Location', location]];
  let body = '';
  if (req.method === 'GET' || req.method === 'HEAD') headers.push(['Content-Type', 'text/html; charset=utf-8']);
  if (req.method === 'GET') body = `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`;
  // Go writes no length for a HEAD answer without a body.
  if (req.method !== 'HEAD') headers.push(['Content-Length', String(Buffer.byteLength(body))]);
  res.writeHead(301, headers.flat());
  res.end(body);
  req.resume();
  return true;
}

// --- /v2/keys ---------------------------------------------------------------------

function toV2Request(k: KeysRequest): V2Request {
  const r: { -readonly [K in keyof V2Request]: V2Request[K] } = {
    method: k.method as 'PUT' | 'POST' | 'DELETE',
    path: k.path,
    value: k.value,
    dir: k.dir,
    prevValue: k.prevValue,
    prevIndex: k.prevIndex,
    recursive: k.recursive,
  };
  if (k.prevExist !== undefined) r.prevExist = k.prevExist;
  if (k.refresh !== undefined) r.refresh = k.refresh;
  if (k.expiration !== undefined) r.expiration = k.expiration;
  return r;
}

async function keys(server: EtcdServer, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const clusterId = server.cluster.id;
  const method = req.method ?? 'GET';
  if (!['GET', 'HEAD', 'PUT', 'POST', 'DELETE'].includes(method)) {
    send(res, methodNotAllowed(KEYS_ALLOWED_METHODS));
    return;
  }
  const { body, tooLarge } = await readBody(req, MAX_FORM_BYTES);
  const parsed = parseKeysRequest(
    {
      method: method as KeysMethod,
      keyPath: decodeURIComponentSafe(url.pathname.slice(KEYS_PATH.length)),
      query: url.search.slice(1),
      body,
      bodyTooLarge: tooLarge,
      contentType: req.headers['content-type'],
    },
    server.nowNanos(),
  );
  const head = method === 'HEAD';
  if (isV2Error(parsed)) {
    send(res, errorReply(parsed, { clusterId, head }));
    return;
  }
  // hasKeyPrefixAccess: the v2 auth check runs for every request that parsed.
  authEnabledLookup(server);
  const raft = () => ({ raftIndex: server.committedIndex, raftTerm: server.term });

  if (parsed.method === 'GET' || parsed.method === 'HEAD') {
    if (parsed.wait) {
      watch(server, req, res, parsed);
      return;
    }
    if (parsed.quorum) {
      // etcd 3.4 serves quorum reads through the log: linearizable, at the cost of an entry.
      await answerProposal(server, res, { method: 'QGET', path: parsed.path, recursive: parsed.recursive, sorted: parsed.sorted }, parsed, head);
      return;
    }
    const r = server.get(parsed.path, parsed.recursive, parsed.sorted);
    if (isV2Error(r)) send(res, errorReply(r, { clusterId, head }));
    else send(res, eventReply(r, { clusterId, etcdIndex: server.store.index, raft: raft(), head }));
    return;
  }
  await answerProposal(server, res, toV2Request(parsed), parsed, head);
}

function decodeURIComponentSafe(p: string): string {
  // Go's URL.Path is already unescaped; an undecodable escape stays as it is.
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

async function answerProposal(server: EtcdServer, res: http.ServerResponse, r: V2Request, k: KeysRequest, head: boolean): Promise<void> {
  const clusterId = server.cluster.id;
  let outcome;
  try {
    outcome = await server.proposeV2(r);
  } catch (err) {
    send(res, errorReply(raftError(err), { clusterId, head }));
    return;
  }
  const result = outcome.result;
  if (result.kind === 'error') {
    send(res, errorReply(result.error, { clusterId, head }));
  } else if (result.kind === 'event') {
    send(
      res,
      eventReply(result.event, {
        clusterId,
        etcdIndex: outcome.storeIndex,
        raft: { raftIndex: server.committedIndex, raftTerm: server.term },
        noValueOnSuccess: k.noValueOnSuccess,
        head,
      }),
    );
  } else {
    send(res, errorReply(newError(Ecode.RaftInternal, 'unexpected result', 0), { clusterId }));
  }
}

function watch(server: EtcdServer, req: http.IncomingMessage, res: http.ServerResponse, k: KeysRequest): void {
  const w = server.store.watch(k.path, k.recursive, k.stream, k.waitIndex);
  if (isV2Error(w)) {
    send(res, errorReply(w, { clusterId: server.cluster.id }));
    return;
  }
  // Headers go out at once, before any event (clients rely on it).
  res.writeHead(200, successHeaders({ clusterId: server.cluster.id, etcdIndex: w.startIndex, raft: { raftIndex: server.committedIndex, raftTerm: server.term } }).flat());
  res.flushHeaders();
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    w.remove();
    res.end();
  };
  const pump = () => {
    if (closed) return;
    for (let ev = w.take(); ev !== undefined; ev = w.take()) {
      res.write(renderEvent(ev, { trimPrefix: KEYS_PREFIX }));
      if (!k.stream) return finish();
    }
    if (w.overflowed || (w.removed && !k.stream)) finish();
  };
  // A stream is written at once: one applied batch of entries can hold more
  // events than the watcher's buffer, which a deferred pump would overflow
  // (ending the stream). A single-event poll can wait for the next turn.
  w.setListener(k.stream ? pump : () => setImmediate(pump));
  req.on('close', finish);
  res.on('close', finish);
  pump();
}

// --- /v2/members --------------------------------------------------------------------

/** httptypes.HTTPError.WriteTo: `{"message":…}` from json.Marshal — no trailing newline. */
function httpError(res: http.ServerResponse, status: number, message: string, extra: Array<[string, string]>): void {
  json(res, status, `{"message":${goQuote(message)}}`, extra);
}

/**
 * etcd's v2 auth check (v2auth Store.AuthEnabled): a local GET of
 * /2/enabled on every keys request and every non-GET members request. It
 * finds nothing (auth is never enabled here), which /v2/stats/store counts
 * as a failed get — clients that read the stats see it.
 */
export function authEnabledLookup(server: EtcdServer): void {
  server.get('/2/enabled', false, false);
}

/** etcd's membersHandler.ServeHTTP, step by step. */
async function members(opts: ClientApiOptions, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
  const { server } = opts;
  const method = req.method ?? 'GET';
  if (!['GET', 'POST', 'DELETE', 'PUT'].includes(method)) return send(res, methodNotAllowed('GET,POST,DELETE,PUT'));
  if (method !== 'GET' && method !== 'HEAD') authEnabledLookup(server);
  const cid: Array<[string, string]> = [['X-Etcd-Cluster-Id', server.cluster.id]];
  const rest = path.slice('/v2/members'.length).replace(/^\//, '');
  // etcd finds these refusals while applying the change (ValidateConfigurationChange); coracle
  // checks before proposing, and does the same store reads so the stats agree on this member.
  const rejectChange = (r: http.ServerResponse, status: number, message: string): void => {
    server.countMembershipValidation();
    httpError(r, status, message, cid);
  };
  if (method === 'GET') {
    if (rest === '') return json(res, 200, membersJSON(server.cluster), cid);
    if (rest === 'leader') {
      const leader = server.cluster.members.get(server.leader);
      if (!leader) return httpError(res, 503, 'During election', cid);
      return json(res, 200, `${memberJSON(leader)}\n`, cid);
    }
    return httpError(res, 404, 'Not found', cid);
  }
  if (method === 'POST') {
    const urls = await peerURLsFromBody(req, res, cid);
    if (!urls) return;
    for (const u of urls) {
      if (server.cluster.peerURLInUse(u)) return rejectChange(res, 409, 'membership: peerURL exists');
    }
    const id = computeMemberId(urls, opts.clusterToken, Math.floor(Date.now() / 1000));
    if (server.cluster.members.has(id)) return rejectChange(res, 409, 'membership: ID exists');
    // The new member joins as a learner and the leader promotes it once it is
    // up and caught up (Raft thesis §4.2.1): the quorum never waits on a
    // member that has not started.
    if (!(await changeMembership(server, res, cid, { type: 'addLearnerNode', nodeId: id, member: { id, name: '', peerURLs: urls } }))) return;
    return json(res, 201, `${memberJSON({ id, name: '', peerURLs: urls, clientURLs: [] })}\n`, cid);
  }
  // DELETE and PUT name a member (getID).
  if (rest === '') {
    await readBody(req, MAX_FORM_BYTES);
    return plain(res, 405, 'Method Not Allowed\n', [...cid, ['X-Content-Type-Options', 'nosniff']]);
  }
  if (!/^[0-9a-fA-F]{1,16}$/.test(rest)) {
    await readBody(req, MAX_FORM_BYTES);
    return httpError(res, 404, `No such member: ${rest}`, cid);
  }
  // types.ID.String(): lowercase hex without leading zeros.
  const id = BigInt(`0x${rest}`).toString(16);
  if (method === 'DELETE') {
    if (server.cluster.removed.has(id)) return rejectChange(res, 410, `Member permanently removed: ${id}`);
    if (!server.cluster.members.has(id)) return rejectChange(res, 404, `No such member: ${id}`);
    if (!(await changeMembership(server, res, cid, { type: 'removeNode', nodeId: id }))) return;
    res.writeHead(204, [...CORS_HEADERS, ...cid].flat());
    res.end();
    return;
  }
  const urls = await peerURLsFromBody(req, res, cid);
  if (!urls) return;
  // membership.ValidateConfigurationChange: an unknown ID is reported before a used URL.
  if (!server.cluster.members.has(id)) return rejectChange(res, 404, `No such member: ${id}`);
  for (const u of urls) if (server.cluster.peerURLInUse(u, id)) return rejectChange(res, 409, 'membership: peerURL exists');
  try {
    await server.proposePeerUpdate(id, urls);
  } catch (err) {
    server.logError('updating a member failed', err);
    return httpError(res, 500, 'Internal Server Error', cid);
  }
  res.writeHead(204, [...CORS_HEADERS, ...cid].flat());
  res.end();
}

/**
 * Put a membership change through the strict reconfiguration check and Raft.
 * Answers 500 itself (as etcd does, with the reason in the log) and returns
 * false when the change was refused or did not complete.
 */
async function changeMembership(
  server: EtcdServer,
  res: http.ServerResponse,
  cid: Array<[string, string]>,
  cc: { type: ConfChange['type']; nodeId: string; member?: MemberContext },
): Promise<boolean> {
  const problem = server.reconfigurationProblem(cc);
  try {
    if (problem) throw new Error(problem);
    await server.proposeMembership(cc);
    return true;
  } catch (err) {
    server.logError(`membership change (${cc.type} ${cc.nodeId}) refused or failed`, err);
    httpError(res, 500, 'Internal Server Error', cid);
    return false;
  }
}

/** unmarshalRequest: the Content-Type must be application/json, then the body is parsed. */
async function peerURLsFromBody(req: http.IncomingMessage, res: http.ServerResponse, cid: Array<[string, string]>): Promise<string[] | undefined> {
  let ct = req.headers['content-type'] ?? '';
  const semi = ct.indexOf(';');
  if (semi !== -1) ct = ct.slice(0, semi).trim().toLowerCase();
  const { body } = await readBody(req, MAX_FORM_BYTES);
  if (ct !== 'application/json') {
    httpError(res, 415, `Bad Content-Type ${ct}, accept application/json`, cid);
    return undefined;
  }
  let urls: unknown;
  try {
    urls = (JSON.parse(body) as { peerURLs?: unknown }).peerURLs;
  } catch (err) {
    httpError(res, 400, (err as Error).message, cid);
    return undefined;
  }
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    httpError(res, 400, 'peerURLs must be a non-empty list of URLs', cid);
    return undefined;
  }
  try {
    for (const u of urls as string[]) checkPeerURL(u);
  } catch (err) {
    if (!(err instanceof MembershipError)) throw err;
    httpError(res, 400, err.message, cid);
    return undefined;
  }
  return urls as string[];
}

// --- health and stats ------------------------------------------------------------------

/** etcd 3.4: healthy when there is a leader and a read through the log succeeds within a second. */
async function health(server: EtcdServer, res: http.ServerResponse): Promise<void> {
  let ok = server.leader !== '';
  if (ok) {
    ok = await Promise.race([
      server.proposeV2({ method: 'QGET', path: '/0' }).then(() => true, () => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000)),
    ]);
  }
  plain(res, ok ? 200 : 503, ok ? '{"health":"true"}' : '{"health":"false"}');
}

/** Go's time.Duration.String() for the leader uptime. */
function goDuration(ms: number): string {
  if (ms < 1) return '0s';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(9).replace(/\.?0+$/, '')}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toFixed(9).replace(/\.?0+$/, '');
  return h > 0 ? `${h}h${m}m${rest}s` : `${m}m${rest}s`;
}

function selfStats(server: EtcdServer): string {
  const leaderUp = server.leaderUptimeMs();
  return JSON.stringify({
    name: server.name,
    id: server.memberId,
    state: server.isLeader ? 'StateLeader' : 'StateFollower',
    startTime: server.startTime.toISOString(),
    leaderInfo: { leader: server.leader, uptime: goDuration(leaderUp), startTime: new Date(Date.now() - leaderUp).toISOString() },
    recvAppendRequestCnt: server.counters.recvAppendRequestCnt,
    sendAppendRequestCnt: server.counters.sendAppendRequestCnt,
  });
}

function leaderStats(server: EtcdServer): string {
  const followers: Record<string, unknown> = {};
  for (const m of server.cluster.sorted()) {
    if (m.id === server.memberId) continue;
    const st = server.transport.peerStats(m.id);
    const n = st?.count ?? 0;
    const average = n > 0 ? st!.sum / n : 0;
    followers[m.id] = {
      latency: {
        current: st?.current ?? 0,
        average,
        standardDeviation: n > 0 ? Math.sqrt(Math.max(0, st!.sumOfSquares / n - average * average)) : 0,
        minimum: n > 0 ? st!.minimum : 0,
        maximum: st?.maximum ?? 0,
      },
      counts: { fail: st?.fail ?? 0, success: st?.success ?? 0 },
    };
  }
  return JSON.stringify({ leader: server.memberId, followers });
}
