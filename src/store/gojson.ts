// JSON string encoding byte-for-byte like Go's encoding/json (go1.19, as in
// etcd 3.4.23): HTML-safe escapes for < > &, \u2028 and \u2029 escaped,
// control characters as \u00xx in lowercase hex except \n \r \t (so \b is
// \u0008 and \f is \u000c), DEL (0x7f) left raw.
// Go escapes each invalid UTF-8 byte as \ufffd; a JS string cannot hold such
// bytes, so a lone surrogate stands for one (an HTTP layer that maps each
// invalid input byte to a lone surrogate, like Python's surrogateescape, gets
// Go's exact output).

const needsEscape = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

const hex = '0123456789abcdef';

export function goQuote(s: string): string {
  if (!needsEscape.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      if (c === 0x0a) esc = '\\n';
      else if (c === 0x0d) esc = '\\r';
      else if (c === 0x09) esc = '\\t';
      else esc = '\\u00' + hex[c >> 4] + hex[c & 0xf];
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x3c) esc = '\\u003c';
    else if (c === 0x3e) esc = '\\u003e';
    else if (c === 0x26) esc = '\\u0026';
    else if (c === 0x2028) esc = '\\u2028';
    else if (c === 0x2029) esc = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair is written raw
        continue;
      }
      esc = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = '\\ufffd';
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/**
 * Byte-wise comparison of the UTF-8 encodings, as Go's `a < b` on strings.
 * UTF-8 byte order equals code point order, which differs from JS's UTF-16
 * code unit order for characters above U+FFFF versus U+E000..U+FFFF.
 */
export function compareBytewise(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when one side is a surrogate can UTF-16 order disagree with code point order.
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff)) {
      const cx = a.codePointAt(i) ?? x;
      const cy = b.codePointAt(i) ?? y;
      return cx < cy ? -1 : cx > cy ? 1 : 0;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
