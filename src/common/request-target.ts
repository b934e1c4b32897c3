// The target of an incoming HTTP request, parsed without ever throwing: a
// request line such as `GET http://[%zz HTTP/1.1` must get a 400, not crash
// the daemon. Absolute-form targets are accepted (as Go's server does) but
// only their path and query are kept — a server here is never a proxy for
// whatever host a client names.

const BASE_HOST = 'request.invalid';
const BASE = `http://${BASE_HOST}`;

/** The path and query of the request target, or undefined when it does not parse. */
export function requestTarget(raw: string | undefined): URL | undefined {
  try {
    const u = new URL(raw ?? '/', BASE);
    // An origin-form target (the usual "/path?query") resolves onto BASE; any
    // other host came from the target itself and is dropped.
    if (u.host === BASE_HOST && u.username === '' && u.password === '' && u.hash === '') return u;
    return new URL(`${u.pathname}${u.search}`, BASE);
  } catch {
    return undefined;
  }
}
