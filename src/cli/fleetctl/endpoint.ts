// Which fleet fleetctl talks to: --driver API (the default) uses the first
// endpoint of --endpoint — `unix:///var/run/fleet.sock` (or `file://`), or
// `http://host:port` — and --driver etcd uses every endpoint as an etcd
// cluster. coracle addition: a unix socket under /var/run or /run is looked
// up inside the machine root (--root / CORACLE_ROOT), where a coracle
// machine keeps `run/fleet.sock`.

import path from 'node:path';
import type { ApiTarget } from './http-client.js';

export const DEFAULT_ENDPOINT = 'unix:///var/run/fleet.sock';

export class EndpointError extends Error {}

/** The socket path inside the root for /var/run/… and /run/… paths; other paths as given. */
export function socketInRoot(p: string, root: string | undefined): string {
  if (root === undefined || root === '') return p;
  const m = /^\/(?:var\/)?run(\/.*)?$/.exec(path.posix.normalize(p));
  if (m === null) return p;
  return path.join(root, 'run', m[1] ?? '');
}

/** Go's url.Parse, as far as fleetctl relies on it: scheme, host, path. */
function parseUrl(raw: string): { scheme: string; host: string; path: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(raw);
  if (m === null) {
    const firstSegment = raw.split('/')[0] ?? '';
    if (firstSegment.includes(':')) throw new EndpointError(`parse ${raw}: first path segment in URL cannot contain colon`);
    return { scheme: '', host: '', path: raw };
  }
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!.replace(/[?#].*$/s, '');
  let host = '';
  if (rest.startsWith('//')) {
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    host = slash === -1 ? rest : rest.slice(0, slash);
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  return { scheme, host, path: decodeURIComponent(rest) };
}

/** getHTTPClient's endpoint handling; throws EndpointError with fleetctl's messages. */
export function apiTarget(endpoint: string, root: string | undefined): ApiTarget {
  const first = endpoint.split(',')[0]!;
  const ep = parseUrl(first);
  if (ep.scheme === '') throw new EndpointError('URL scheme undefined');
  if (ep.scheme === 'unix' || ep.scheme === 'file') {
    // "unix://var/run/fleet.sock" (a missing slash) parses with host "var".
    if (ep.host !== '') throw new EndpointError(`unable to connect to host "${ep.host}" with scheme "${ep.scheme}"`);
    return { kind: 'unix', path: socketInRoot(ep.path, root) };
  }
  if (ep.scheme === 'https') throw new EndpointError("https endpoints are not supported by coracle's fleetctl (no TLS yet)");
  if (ep.scheme !== 'http') throw new EndpointError(`unsupported protocol scheme "${ep.scheme}"`);
  const hm = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(ep.host);
  const host = (hm?.[1] ?? ep.host).replace(/^\[|\]$/g, '');
  const port = hm?.[2] !== undefined && hm[2] !== '' ? Number(hm[2]) : 80;
  const basePath = ep.path.replace(/\/+$/, '');
  return { kind: 'tcp', host, port, basePath, origin: `http://${ep.host}` };
}
