// Ignition configs (spec 2.0-2.3 and 3.0-3.4): version detection with
// Ignition's own error words, a structural check of the sections coracle
// applies (storage files/directories/links, systemd and networkd units,
// passwd users/groups) reporting unknown keys as Ignition 3 did ("Unused key
// K", a warning) and wrong types as errors, and the pure helpers for file
// contents: data: URLs and verification hashes. Fetching http(s) sources and
// applying on first boot belong to the callers.
import { createHash } from 'node:crypto';
import { isCloudConfig, isScript } from './detect.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface IgnitionReport {
  /** The spec version, e.g. "2.2.0", when it could be read. */
  version?: string;
  spec?: 2 | 3;
  /** The parsed document when there are no errors. */
  config?: { [k: string]: Json };
  errors: string[];
  warnings: string[];
}

const SUPPORTED = ['2.0.0', '2.1.0', '2.2.0', '2.3.0', '3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0'];

// A small schema language: a field's JSON type, or an object's fields, or a list.
type Shape = 'string' | 'int' | 'bool' | 'opaque' | { obj: Record<string, Shape> } | { list: Shape };

const owner: Shape = { obj: { id: 'int', name: 'string' } };
const verification: Shape = { obj: { hash: 'string' } };
const dropin: Shape = { obj: { name: 'string', contents: 'string' } };

function shapes(spec: 2 | 3, minor: number): Shape {
  const resource: Shape = {
    obj: { compression: 'string', source: 'string', verification, ...(spec === 3 ? { httpHeaders: 'opaque' } : {}) },
  };
  const node = (extra: Record<string, Shape>): Shape => ({
    obj: { path: 'string', overwrite: 'bool', user: owner, group: owner, ...(spec === 2 ? { filesystem: 'string' } : {}), ...extra },
  });
  const users: Shape = {
    list: {
      obj: {
        name: 'string', passwordHash: 'string', sshAuthorizedKeys: { list: 'string' }, uid: 'int', gecos: 'string',
        homeDir: 'string', noCreateHome: 'bool', primaryGroup: 'string', groups: { list: 'string' }, noUserGroup: 'bool',
        noLogInit: 'bool', shell: 'string', system: 'bool',
        ...(spec === 2 ? { create: 'opaque' } : {}),
        ...(spec === 3 && minor >= 2 ? { shouldExist: 'bool' } : {}),
      },
    },
  };
  const groups: Shape = {
    list: { obj: { name: 'string', gid: 'int', passwordHash: 'string', system: 'bool', ...(spec === 3 && minor >= 2 ? { shouldExist: 'bool' } : {}) } },
  };
  const unit: Shape = {
    obj: { name: 'string', enabled: 'bool', mask: 'bool', contents: 'string', dropins: { list: dropin }, ...(spec === 2 ? { enable: 'bool' } : {}) },
  };
  const top: Record<string, Shape> = {
    ignition: 'opaque',
    storage: {
      obj: {
        disks: 'opaque', raid: 'opaque', filesystems: 'opaque',
        ...(spec === 3 ? { luks: 'opaque' } : {}),
        files: { list: node({ mode: 'int', contents: resource, append: spec === 2 ? 'bool' : { list: resource } }) },
        directories: { list: node({ mode: 'int' }) },
        links: { list: node({ target: 'string', hard: 'bool' }) },
      },
    },
    systemd: { obj: { units: { list: unit } } },
    passwd: { obj: { users, groups } },
  };
  if (spec === 2) top.networkd = { obj: { units: { list: { obj: { name: 'string', contents: 'string', dropins: { list: dropin } } } } } };
  if (spec === 3 && minor >= 3) top.kernelArguments = 'opaque';
  return { obj: top };
}

function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

function check(v: Json, shape: Shape, path: string, r: IgnitionReport): void {
  if (v === null || shape === 'opaque') return;
  const want = (name: string, ok: boolean): void => {
    if (!ok) r.errors.push(`${path}: expected ${name}, found ${typeName(v)}`);
  };
  if (shape === 'string') return want('string', typeof v === 'string');
  if (shape === 'bool') return want('boolean', typeof v === 'boolean');
  if (shape === 'int') return want('integer', typeof v === 'number' && Number.isInteger(v));
  if ('list' in shape) {
    if (!Array.isArray(v)) return want('list', false);
    v.forEach((x, i) => check(x, shape.list, `${path}.${i}`, r));
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return want('object', false);
  for (const [k, x] of Object.entries(v)) {
    const s = shape.obj[k];
    if (s === undefined) r.warnings.push(`${path ? `${path}.` : ''}${k}: Unused key ${k}`);
    else check(x, s, path ? `${path}.${k}` : k, r);
  }
}

const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'snapshot', 'slice', 'scope'];

function semantics(cfg: { [k: string]: Json }, spec: 2 | 3, minor: number, r: IgnitionReport): void {
  const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
  const obj = (v: Json | undefined): { [k: string]: Json } => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
  list(obj(cfg.systemd).units).forEach((u, i) => {
      const name = obj(u).name;
      const ext = typeof name === 'string' ? name.slice(name.lastIndexOf('.') + 1) : '';
      if (typeof name !== 'string' || !UNIT_TYPES.includes(ext)) r.errors.push(`systemd.units.${i}.name: invalid systemd unit extension`);
      list(obj(u).dropins).forEach((d, j) => {
        const dn = obj(d).name;
        if (typeof dn !== 'string' || !dn.endsWith('.conf')) r.errors.push(`systemd.units.${i}.dropins.${j}.name: invalid systemd unit dropin extension`);
    });
  });
  const storage = obj(cfg.storage);
  for (const kind of ['files', 'directories', 'links']) {
    list(storage[kind]).forEach((n, i) => {
      const p = obj(n).path;
      if (typeof p !== 'string' || !p.startsWith('/')) r.errors.push(`storage.${kind}.${i}.path: path not absolute`);
      if (spec === 2 && typeof obj(n).filesystem !== 'string') r.errors.push(`storage.${kind}.${i}.filesystem: no filesystem specified`);
      const contents = obj(obj(n).contents);
      const hash = obj(contents.verification).hash;
      if (typeof hash === 'string') {
        const problem = hashProblem(hash, spec === 3 && minor >= 1);
        if (problem) r.errors.push(`storage.${kind}.${i}.contents.verification.hash: ${problem}`);
      }
    });
  }
}

function hashProblem(hash: string, sha256Allowed: boolean): string | null {
  const m = /^([a-z0-9]+)-(.*)$/.exec(hash);
  if (!m) return 'malformed hash specifier';
  const len = m[1] === 'sha512' ? 128 : m[1] === 'sha256' && sha256Allowed ? 64 : 0;
  if (len === 0) return 'unrecognized hash function';
  return /^[0-9a-f]*$/.test(m[2]) && m[2].length === len ? null : 'incorrect size for hash sum';
}

/** Parses and checks an Ignition config. Never throws. */
export function parseIgnition(text: string): IgnitionReport {
  const r: IgnitionReport = { errors: [], warnings: [] };
  if (text.trim() === '') return { ...r, errors: ['not a config (empty)'] };
  if (isCloudConfig(text)) return { ...r, errors: ['not a config (found coreos-cloudinit config)'] };
  if (isScript(text)) return { ...r, errors: ['not a config (found coreos-cloudinit script)'] };
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    return { ...r, errors: [`config is not valid: ${e instanceof Error ? e.message : String(e)}`] };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { ...r, errors: ['config is not valid: the top level must be an object'] };
  if ('ignitionVersion' in doc) return { ...r, errors: ['config format deprecated'] };
  const ign = doc.ignition;
  const version = ign && typeof ign === 'object' && !Array.isArray(ign) ? ign.version : undefined;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-experimental)?$/.test(version)) {
    return { ...r, errors: ['invalid config version (couldn\'t parse)'] };
  }
  if (!SUPPORTED.includes(version)) return { ...r, version, errors: ['unsupported config version'] };
  const spec = version.startsWith('2.') ? 2 : 3;
  const minor = Number(version.split('.')[1]);
  const out: IgnitionReport = { version, spec, errors: [], warnings: [] };
  check(doc, shapes(spec, minor), '', out);
  if (out.errors.length === 0) semantics(doc, spec, minor, out);
  if (out.errors.length === 0) out.config = doc;
  return out;
}

export type Fetched = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** RFC 2397 data: URL contents (percent-encoded text or ;base64). */
export function decodeDataUrl(url: string): Fetched {
  const m = /^data:([^,]*),(.*)$/s.exec(url);
  if (!m) return { ok: false, error: `not a data URL: ${url.slice(0, 40)}` };
  const isBase64 = /;base64$/i.test(m[1]);
  try {
    if (isBase64) {
      const b64 = decodeURIComponent(m[2]);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return { ok: false, error: 'data URL: invalid base64 data' };
      return { ok: true, bytes: new Uint8Array(Buffer.from(b64, 'base64')) };
    }
    const bytes: number[] = [];
    const s = m[2];
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...Buffer.from(s[i], 'utf8'));
    }
    return { ok: true, bytes: Uint8Array.from(bytes) };
  } catch {
    return { ok: false, error: 'data URL: invalid percent-encoding' };
  }
}

/** Checks contents against "sha512-<hex>" / "sha256-<hex>". */
export function verifyHash(bytes: Uint8Array, hash: string): { ok: true } | { ok: false; error: string } {
  const m = /^(sha512|sha256)-([0-9a-f]+)$/.exec(hash);
  if (!m) return { ok: false, error: `unrecognized hash ${JSON.stringify(hash)}` };
  const got = createHash(m[1]).update(bytes).digest('hex');
  return got === m[2] ? { ok: true } : { ok: false, error: `content hash mismatch: expected ${m[1]}-${m[2]}, got ${m[1]}-${got}` };
}
