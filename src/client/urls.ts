// URL building the way the Go client does it, so requests on the wire are the
// same bytes: canonical key paths, Go's path escaping, sorted query strings.

/** pathutil.CanonicalURLPath: clean the path but keep one trailing slash. */
export function canonicalURLPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  let np = cleanPath(p);
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** Go's path.Clean for rooted paths. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

const unreserved = /[A-Za-z0-9\-_.~]/;

/** url.URL.EscapedPath for a path without a RawPath: `$&+,/:;=@` stay, `?` and the rest are %XX. */
export function escapePath(p: string): string {
  let out = '';
  for (const ch of p) {
    if (unreserved.test(ch) || '$&+,/:;=@'.includes(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** url.QueryEscape: space as `+`, everything but unreserved as %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    if (unreserved.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** url.Values.Encode: keys sorted, each `k=v` escaped. */
export function encodeValues(values: ReadonlyMap<string, string>): string {
  return [...values.keys()]
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(values.get(k) ?? '')}`)
    .join('&');
}

/** Parses an endpoint; a bare `host:port` gets `http://`, as etcdctl users expect. */
export function parseEndpoint(ep: string): URL {
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(ep) ? ep : `http://${ep}`;
  return new URL(withScheme);
}

/** The endpoint as Go's url.String() prints it (no trailing slash added). */
export function endpointString(u: URL): string {
  const path = u.pathname === '/' && !u.href.endsWith('/') ? '' : u.pathname;
  return `${u.protocol}//${u.host}${path === '/' ? '' : path}`;
}

/** `<endpoint path><prefix><key>` canonicalised and escaped, plus an optional query. */
export function buildURL(ep: URL, path: string, query?: string): URL {
  const base = ep.pathname === '/' ? '' : ep.pathname.replace(/\/$/, '');
  const u = new URL(ep.href);
  u.pathname = escapePath(canonicalURLPath(base + path));
  u.search = query !== undefined && query !== '' ? '?' + query : '';
  return u;
}
