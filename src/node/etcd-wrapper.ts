// ct's `etcd:` section gives etcd-member.service a drop-in whose ExecStart=
// runs /usr/lib/coreos/etcd-wrapper (rkt + the etcd image) with etcd's flags.
// coracle has no wrapper: the same flags go to `coracle etcd`, through one
// more drop-in that sorts after ct's and replaces its ExecStart=.
import fs from 'node:fs';
import path from 'node:path';
import { coracleArgv } from './paths.js';
import { execWord } from './units.js';

const WRAPPER = '/usr/lib/coreos/etcd-wrapper';
export const WRAPPER_DROP_IN = '99-coracle-etcd-wrapper.conf';

/** The flags a drop-in passes to etcd-wrapper (systemd words, verbatim), or null when it does not run it. */
export function wrapperFlags(dropIn: string): string | null {
  // A trailing backslash joins the next line (systemd.syntax(7)).
  const joined = dropIn.replace(/\\\r?\n/g, ' ');
  let flags: string | null = null;
  for (const line of joined.split('\n')) {
    const m = /^\s*ExecStart\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const value = m[1]!.trim();
    const at = value.indexOf(WRAPPER);
    if (at < 0) {
      flags = null;
      continue;
    }
    flags = value.slice(at + WRAPPER.length).replace(/^\s*\$ETCD_OPTS\b/, '').replace(/\s+/g, ' ').trim();
  }
  return flags;
}

/** The replacement drop-in for those flags. */
export function coracleEtcdDropIn(flags: string, coracle: readonly string[]): string {
  return `[Service]\nExecStart=\nExecStart=${[...coracle, 'etcd'].map(execWord).join(' ')}${flags ? ` ${flags}` : ''}\n`;
}

/** Looks at etcd-member.service's drop-ins in the root and writes the translation when one runs the wrapper. Returns what it did, for the log. */
export function translateEtcdWrapper(root: string, coracle: readonly string[] = coracleArgv()): string[] {
  let flags: string | null = null;
  let source = '';
  for (const dir of ['lib/systemd/system', 'run/systemd/system', 'etc/systemd/system']) {
    const d = path.join(root, dir, 'etcd-member.service.d');
    let names: string[];
    try {
      names = fs.readdirSync(d).filter((n) => n.endsWith('.conf') && n !== WRAPPER_DROP_IN).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const f = wrapperFlags(fs.readFileSync(path.join(d, n), 'utf8'));
      if (f !== null) {
        flags = f;
        source = `/${dir}/etcd-member.service.d/${n}`;
      }
    }
  }
  const target = path.join(root, 'run/systemd/system/etcd-member.service.d', WRAPPER_DROP_IN);
  if (flags === null) {
    fs.rmSync(target, { force: true });
    return [];
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, coracleEtcdDropIn(flags, coracle));
  return [`${source} runs ${WRAPPER}: its flags go to coracle etcd (/run/systemd/system/etcd-member.service.d/${WRAPPER_DROP_IN})`];
}
