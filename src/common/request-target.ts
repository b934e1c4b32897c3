// The target of an incoming HTTP request, parsed without ever throwing: a
// request line such as `GET http://[%zz HTTP/1.1` must get a 400, not crash
// the daemon. Absolute-form targets are accepted (as Go's server does) but
// only their path and query are kept — a server here is never a proxy for
// whatever host a client names.

/** The path and query of the request target, or undefined when it does not parse. */
export function requestTarget(raw: string | undefined): URL | undefined {
  try {
    const u = new URL(raw ?? '/', 'http://request.invalid');
    return new URL(`${u.pathname}${u.search}`, 'http://request.invalid');
  } catch {
    return undefined;
  }
}
