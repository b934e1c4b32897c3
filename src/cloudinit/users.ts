// Users as the original created them: it ran `useradd` (shadow-utils, with
// CoreOS's defaults) for a new user and `chpasswd -e` for an existing one.
// These pure functions take the current /etc/passwd, /etc/shadow and
// /etc/group text and return the new text, so the applier only writes files.
import { goQuote } from './gofmt.js';
import type { User } from './schema.js';

export interface AccountFiles {
  passwd: string;
  shadow: string;
  group: string;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

/** shadow-utils and CoreOS defaults (login.defs, /etc/default/useradd). */
const UID_MIN = 1000;
const UID_MAX = 60000;
const SYS_UID_MIN = 101;
const SYS_UID_MAX = 999;
const DEFAULT_GROUP = 100;
const DEFAULT_SHELL = '/bin/bash';

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function withLine(text: string, line: string): string {
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return `${base}${line}\n`;
}

export function passwdEntries(passwd: string): PasswdEntry[] {
  return lines(passwd).flatMap((l) => {
    const f = l.split(':');
    if (f.length < 7) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4], home: f[5], shell: f[6] }];
  });
}

export function findUser(passwd: string, name: string): PasswdEntry | undefined {
  return passwdEntries(passwd).find((e) => e.name === name);
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function groupEntries(group: string): GroupEntry[] {
  return lines(group).flatMap((l) => {
    const f = l.split(':');
    if (f.length < 4) return [];
    return [{ name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',') }];
  });
}

export function groupName(group: string, gid: number): string | undefined {
  return groupEntries(group).find((g) => g.gid === gid)?.name;
}

/** chpasswd -e: the user's hash in /etc/shadow, and its last-change day. */
export function setPasswordHash(shadow: string, name: string, hash: string, today?: number): string {
  let found = false;
  const out = shadow.split('\n').map((l) => {
    const f = l.split(':');
    if (f[0] !== name || f.length < 2) return l;
    found = true;
    f[1] = hash;
    if (today !== undefined && f.length > 2) f[2] = String(today);
    return f.join(':');
  });
  const text = out.join('\n');
  return found ? text : withLine(shadow, `${name}:${hash}:${today ?? ''}:0:99999:7:::`);
}

export type AddUserResult =
  | { ok: true; files: AccountFiles; entry: PasswdEntry; createHome: boolean }
  | { ok: false; error: string };

const NAME_RE = /^[a-z_][a-z0-9_-]*\$?$/;

/** useradd with the arguments the original built from a cloud-config user. */
export function addUser(files: AccountFiles, u: User, today?: number): AddUserResult {
  const fail = (error: string): AddUserResult => ({ ok: false, error: `useradd: ${error}` });
  if (!NAME_RE.test(u.name) || u.name.length > 32) return fail(`invalid user name '${u.name}'`);
  const users = passwdEntries(files.passwd);
  const groups = groupEntries(files.group);
  if (users.some((e) => e.name === u.name)) return fail(`user '${u.name}' already exists`);
  // The original passed the comment through Go's %q, so it arrives quoted.
  const gecos = u.gecos !== '' ? goQuote(u.gecos) : '';
  if (/[:\n]/.test(gecos)) return fail(`invalid comment '${gecos}'`);
  const lookupGroup = (g: string): GroupEntry | undefined =>
    /^[0-9]+$/.test(g) ? groups.find((x) => x.gid === Number(g)) : groups.find((x) => x.name === g);

  for (const g of u.groups) if (!lookupGroup(g)) return fail(`group '${g}' does not exist`);
  const used = new Set(users.map((e) => e.uid));
  let uid: number;
  if (u.uid !== undefined) {
    if (used.has(u.uid)) return fail(`UID ${u.uid} is not unique`);
    uid = u.uid;
  } else if (u.system) {
    uid = SYS_UID_MAX;
    while (uid >= SYS_UID_MIN && used.has(uid)) uid--;
    if (uid < SYS_UID_MIN) return fail("can't get unique system UID (no more available UIDs)");
  } else {
    const inRange = users.map((e) => e.uid).filter((x) => x >= UID_MIN && x <= UID_MAX);
    uid = inRange.length > 0 ? Math.max(...inRange) + 1 : UID_MIN;
    if (uid > UID_MAX) return fail("can't get unique UID (no more available UIDs)");
  }

  let group = files.group;
  let gid: number;
  if (u.primary_group !== '') {
    const g = lookupGroup(u.primary_group);
    if (!g) return fail(`group '${u.primary_group}' does not exist`);
    gid = g.gid;
  } else if (u.no_user_group) {
    gid = DEFAULT_GROUP;
  } else {
    if (groups.some((g) => g.name === u.name)) {
      return fail(`group ${u.name} exists - if you want to add this user to that group, use -g.`);
    }
    const usedGids = new Set(groups.map((g) => g.gid));
    gid = uid;
    if (usedGids.has(gid)) {
      gid = u.system ? SYS_UID_MAX : UID_MIN;
      while (usedGids.has(gid)) gid += u.system ? -1 : 1;
    }
    group = withLine(group, `${u.name}:x:${gid}:`);
  }

  if (u.groups.length > 0) {
    const wanted = new Set(u.groups.map((g) => lookupGroup(g)?.name));
    group = group
      .split('\n')
      .map((l) => {
        const f = l.split(':');
        if (f.length < 4 || !wanted.has(f[0])) return l;
        const members = f[3] === '' ? [] : f[3].split(',');
        if (!members.includes(u.name)) members.push(u.name);
        f[3] = members.join(',');
        return f.join(':');
      })
      .join('\n');
  }

  const entry: PasswdEntry = {
    name: u.name,
    uid,
    gid,
    gecos,
    home: u.homedir !== '' ? u.homedir : `/home/${u.name}`,
    shell: u.shell !== '' ? u.shell : DEFAULT_SHELL,
  };
  const hash = u.passwd !== '' ? u.passwd : '*';
  const aging = u.system ? `${today ?? ''}::::::` : `${today ?? ''}:0:99999:7:::`;
  return {
    ok: true,
    entry,
    createHome: !u.no_create_home,
    files: {
      passwd: withLine(files.passwd, `${u.name}:x:${uid}:${gid}:${gecos}:${entry.home}:${entry.shell}`),
      shadow: withLine(files.shadow, `${u.name}:${hash}:${aging}`),
      group,
    },
  };
}

// ---------------------------------------------------------------------------
// SSH keys, as CoreOS's update-ssh-keys script kept them.

export const UPDATE_SSH_KEYS_HEADER = '# auto-generated by /usr/bin/update-ssh-keys\n';

/** The named key set's content: each key trimmed, one a line. */
export function keySetContent(keys: readonly string[]): string {
  return `${keys.map((k) => k.trim()).join('\n')}\n`;
}

/** authorized_keys regenerated from every set in authorized_keys.d, in name
 *  order, each line printed as gawk '{print}' does. Null when no set holds
 *  more than one byte (the script then refused and failed). */
export function mergeAuthorizedKeys(sets: ReadonlyMap<string, string>): string | null {
  const names = [...sets.keys()].filter((n) => !n.startsWith('.')).sort();
  if (!names.some((n) => Buffer.byteLength(sets.get(n) ?? '') > 1)) return null;
  let out = UPDATE_SSH_KEYS_HEADER;
  for (const n of names) {
    const c = sets.get(n) ?? '';
    if (c === '') continue;
    out += c.endsWith('\n') ? c : `${c}\n`;
  }
  return out;
}
