// Form values as Go's net/http reads them (Request.ParseForm), because etcd's
// answers to malformed input are Go's error strings, byte for byte.
//
// - The body is read only for POST, PUT and PATCH with Content-Type
//   application/x-www-form-urlencoded; any other body is ignored.
// - Body values come before query values; the first value of a key wins.
// - A body over 10 MB is refused with "http: POST too large".
// - Escapes are strict: "%zz" is `invalid URL escape "%zz"`; a ';' separator is
//   `invalid semicolon separator in query` (Go 1.17+).

/** Go's ParseForm cap on a url-encoded body. */
export const MAX_FORM_BYTES = 10 << 20;

export class FormError extends Error {}

export type Form = Map<string, string[]>;

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** url.QueryUnescape: '+' is a space, %XX a byte; the bytes are read as UTF-8. */
export function queryUnescape(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = i + 1 < s.length ? unhex(s.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < s.length ? unhex(s.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) {
        // Go quotes at most the three characters from the '%'.
        throw new FormError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of new TextEncoder().encode(s[i]!)) bytes.push(b);
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** url.ParseQuery into `into`, keeping the first error like Go does. */
export function parseQuery(query: string, into: Form): FormError | undefined {
  let first: FormError | undefined;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      first ??= new FormError('invalid semicolon separator in query');
      continue;
    }
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = queryUnescape(rawKey);
      value = queryUnescape(rawValue);
    } catch (err) {
      first ??= err as FormError;
      continue;
    }
    const list = into.get(key);
    if (list) list.push(value);
    else into.set(key, [value]);
  }
  return first;
}

export interface RawRequest {
  method: string;
  /** The query string, without '?'. */
  query: string;
  contentType: string | undefined;
  /** The body, when the method carries a form. */
  body: string;
  bodyTooLarge: boolean;
}

/** Whether Go reads a form from this request's body. */
export function bodyCarriesForm(method: string, contentType: string | undefined): boolean {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return false;
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/x-www-form-urlencoded';
}

/** Request.ParseForm: body values first, then query values. Returns the form and Go's first error. */
export function parseForm(r: RawRequest): { form: Form; error?: FormError } {
  const form: Form = new Map();
  let error: FormError | undefined;
  if (bodyCarriesForm(r.method, r.contentType)) {
    if (r.bodyTooLarge) error = new FormError('http: POST too large');
    else error = parseQuery(r.body, form);
  }
  const queryError = parseQuery(r.query, form);
  error ??= queryError;
  return error ? { form, error } : { form };
}
