// Condition*=/Assert*= checks against the machine (condition.c). Paths name
// the machine's own state, so they resolve inside its root.
import fs from 'node:fs';
import path from 'node:path';
import type { Condition } from '../../units/index.js';
import type { ConditionChecker } from '../unit.js';
import type { MachineRoot } from './root.js';

function stat(p: string, follow = true): fs.Stats | null {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch {
    return null;
  }
}

/** Glob → RegExp for one path (`*`, `?`, `[…]`; `*` does not cross `/`). */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function globExists(pattern: string): boolean {
  const parts = pattern.split('/').filter((x) => x !== '');
  const walk = (dir: string, i: number): boolean => {
    if (i === parts.length) return true;
    const part = parts[i]!;
    if (!/[*?[]/.test(part)) return stat(path.join(dir, part), false) !== null && walk(path.join(dir, part), i + 1);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return false;
    }
    const re = globRegExp(part);
    return names.some((n) => re.test(n) && walk(path.join(dir, n), i + 1));
  };
  return walk('/', 0);
}

export function conditionChecker(m: MachineRoot, env: NodeJS.ProcessEnv = process.env): ConditionChecker {
  const inRoot = (p: string): string => path.join(m.root, p);
  return (c: Condition): boolean => {
    const p = inRoot(c.parameter);
    switch (c.kind) {
      case 'PathExists': return stat(p, false) !== null;
      case 'PathExistsGlob': return globExists(p);
      case 'PathIsDirectory': return stat(p)?.isDirectory() ?? false;
      case 'PathIsSymbolicLink': return stat(p, false)?.isSymbolicLink() ?? false;
      case 'PathIsMountPoint': {
        // A mount point has a different device from its parent (or is the root itself).
        const s = stat(p);
        const parent = stat(path.dirname(p));
        return s !== null && parent !== null && (s.dev !== parent.dev || s.ino === parent.ino);
      }
      case 'PathIsReadWrite': {
        try {
          fs.accessSync(p, fs.constants.W_OK);
          return true;
        } catch {
          return false;
        }
      }
      case 'DirectoryNotEmpty': {
        try {
          return fs.readdirSync(p).some((n) => !n.startsWith('.'));
        } catch {
          return false;
        }
      }
      case 'FileNotEmpty': {
        const s = stat(p);
        return s !== null && s.isFile() && s.size > 0;
      }
      case 'FileIsExecutable': {
        const s = stat(p);
        return s !== null && s.isFile() && (s.mode & 0o111) !== 0;
      }
      case 'Host':
        return c.parameter === m.machineId || c.parameter.toLowerCase() === m.hostname.toLowerCase() ||
          globRegExp(c.parameter.toLowerCase()).test(m.hostname.toLowerCase());
      case 'Virtualization': {
        // coracle runs as a program, not as an OS in a VM: only "no"/"false" and "container" checks are meaningful.
        const b = c.parameter.toLowerCase();
        const inContainer = fs.existsSync('/.dockerenv') || fs.existsSync('/run/.containerenv');
        if (b === 'no' || b === 'false' || b === '0') return !inContainer;
        if (b === 'yes' || b === 'true' || b === '1' || b === 'container') return inContainer;
        return false;
      }
      case 'KernelCommandLine': {
        let cmdline = '';
        try {
          cmdline = fs.readFileSync('/proc/cmdline', 'utf8');
        } catch {
          return false;
        }
        const words = cmdline.trim().split(/\s+/);
        return c.parameter.includes('=') ? words.includes(c.parameter) : words.some((w) => w === c.parameter || w.startsWith(`${c.parameter}=`));
      }
      case 'Environment': {
        const eq = c.parameter.indexOf('=');
        if (eq < 0) return env[c.parameter] !== undefined;
        return env[c.parameter.slice(0, eq)] === c.parameter.slice(eq + 1);
      }
    }
  };
}
