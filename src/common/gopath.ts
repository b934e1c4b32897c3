// Go's package path (Clean, Join, Split, Dir): etcd applies it to every key,
// coreos-cloudinit to every path it writes. Shared so both agree with Go.

/** path.Clean: the shortest equivalent slash path (rooted stays rooted, no trailing slash, "" → "."). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  // Most paths (every etcd key a client sends) are clean already.
  if (isClean(p)) return p;
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Whether cleanPath would return `p` unchanged: no empty, "." or ".." element, no trailing slash. */
function isClean(p: string): boolean {
  if (p === '/') return true;
  if (p.endsWith('/') || p.includes('//')) return false;
  const s = `/${p}/`;
  return !s.includes('/./') && !s.includes('/../');
}

/** path.Join: non-empty elements joined by "/" and cleaned; "" if all are empty. */
export function joinPath(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : cleanPath(parts.join('/'));
}

/** path.Split: [dir including its trailing slash, file]. */
export function splitPath(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

/** The last element of a slash path (what etcd's node.IsHidden looks at). */
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** path.Dir: everything before the last slash, cleaned. */
export function dirPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}
