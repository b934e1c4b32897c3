// The cloud-config validator, rule for rule as coreos-cloudinit's
// config/validate: the document is decoded twice (loosely typed, and into the
// schema), the two trees are merged so a value the schema could take keeps
// its typed form (0744 stays "0744", off stays "off"), line numbers come from
// the original's text search (first line at or after the parent's line that
// looks like `key:`; list elements at the next line starting with "-"), and
// the six rules run in the original's order.
//
// Deliberate differences from the final original, both in schema.ts: no
// deprecation warning for coreos.etcd2 and coreos.fleet (coracle ships both),
// and coracle's own wording for the legacy coreos.etcd warning.
import { detectUserData } from './detect.js';
import { decodeContent } from './encoding.js';
import { goFloat, goJsonString, goQuote } from './gofmt.js';
import { parseGoYaml, type YNode } from './goyaml.js';
import { decodeInto, zeroOf, type SVal } from './parse.js';
import { dirPath as goPathDir } from '../common/gopath.js';
import { CLOUD_CONFIG_TYPE, type Field, type FieldType } from './schema.js';

export type EntryKind = 'error' | 'warning' | 'info';

export interface ReportEntry {
  kind: EntryKind;
  line: number;
  message: string;
}

export interface Report {
  entries: ReportEntry[];
  /** Set when the original validator itself failed (a Go panic it recovered,
   *  or an input it could not read): it then printed no entries and
   *  `-validate` exited 1. The entries gathered before the failure are kept. */
  internalError?: string;
}

/** `line N: kind: message`, as the original's Entry.String(). */
export function formatEntry(e: ReportEntry): string {
  return `line ${e.line}: ${e.kind}: ${e.message}`;
}

/** The original's Entry JSON: keys sorted, Go's escaping. */
export function entryToJson(e: ReportEntry): string {
  return `{"kind":${goJsonString(e.kind)},"line":${e.line},"message":${goJsonString(e.message)}}`;
}

export function reportToJson(r: Report): string {
  return `[${r.entries.map(entryToJson).join(',')}]`;
}

/** What `coreos-cloudinit -validate` exited with for this report. */
export function validateExitCode(r: Report): number {
  return r.internalError !== undefined || r.entries.length > 0 ? 1 : 0;
}

/** Validates user-data as coreos-cloudinit -validate did, including gzip,
 *  scripts and Ignition (both valid with an empty report). Never throws. */
export function validateUserData(input: Uint8Array | string): Report {
  const d = detectUserData(input);
  switch (d.kind) {
    case 'empty':
    case 'script':
    case 'ignition':
      return { entries: [] };
    case 'cloud-config':
      return validateCloudConfig(d.text);
    case 'unknown':
      return { entries: [{ kind: 'error', line: 1, message: 'must be "#cloud-config" or begin with "#!"' }] };
  }
}

// ---------------------------------------------------------------------------
// Values as Go's reflect saw them.

type GoKind = 'string' | 'int' | 'float64' | 'bool' | 'map' | 'slice' | 'struct';

type GoVal =
  | { k: 'string'; s: string; bytes?: Uint8Array }
  | { k: 'int'; n: number }
  | { k: 'float64'; n: number }
  | { k: 'bool'; b: boolean }
  | { k: 'map' }
  | { k: 'slice' }
  | { k: 'struct' };

/** A recovered Go panic: the validator stops and reports an internal error. */
class GoPanic extends Error {}

/** reflect.Value.String(): the string, or "<T Value>" for anything else. */
function valueString(v: GoVal | undefined): string {
  if (!v) return '<invalid Value>';
  switch (v.k) {
    case 'string':
      return v.s;
    case 'map':
      return '<map[interface {}]interface {} Value>';
    case 'slice':
      return '<[]interface {} Value>';
    case 'struct':
      return '<struct Value>';
    default:
      return `<${v.k} Value>`;
  }
}

/** fmt's %v of a scalar value. */
function valueV(v: GoVal): string {
  switch (v.k) {
    case 'string':
      return v.s;
    case 'int':
      return String(v.n);
    case 'float64':
      return goFloat(v.n);
    case 'bool':
      return v.b ? 'true' : 'false';
    default:
      return '';
  }
}

/** config.isZero on a leaf; comparing a map or slice panicked in Go. */
function isZero(v: GoVal | undefined): boolean {
  if (!v) throw new GoPanic('reflect: call of reflect.Value.Interface on zero Value');
  switch (v.k) {
    case 'string':
      return v.s === '';
    case 'int':
    case 'float64':
      return v.n === 0;
    case 'bool':
      return !v.b;
    case 'map':
      throw new GoPanic('runtime error: comparing uncomparable type map[interface {}]interface {}');
    case 'slice':
      throw new GoPanic('runtime error: comparing uncomparable type []interface {}');
    case 'struct':
      return false;
  }
}

function isCompatible(n: GoKind | 'invalid', g: GoKind): boolean {
  switch (g) {
    case 'string':
      return n === 'string' || n === 'int' || n === 'float64' || n === 'bool';
    case 'struct':
      return n === 'struct' || n === 'map';
    case 'float64':
      return n === 'float64' || n === 'int';
    default:
      return n === g;
  }
}

function kindOf(v: GoVal | undefined): GoKind | 'invalid' {
  return v ? v.k : 'invalid';
}

function typeKind(t: FieldType): GoKind {
  switch (t.k) {
    case 'string':
      return 'string';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'struct':
      return 'struct';
    case 'slice':
      return 'slice';
  }
}

function humanType(t: FieldType): string {
  return t.k === 'slice' ? `[]${humanType(t.elem)}` : typeKind(t);
}

// ---------------------------------------------------------------------------
// Line numbers: the original's context walk over the raw text.

interface Context {
  text: string;
  pos: number;
  current: string;
  line: number;
}

function increment(c: Context): Context {
  if (c.current === '' && c.pos >= c.text.length) return c;
  const nl = c.text.indexOf('\n', c.pos);
  if (nl < 0) return { text: c.text, pos: c.text.length, current: c.text.slice(c.pos), line: c.line + 1 };
  return { text: c.text, pos: nl + 1, current: c.text.slice(c.pos, nl), line: c.line + 1 };
}

function newContext(text: string): Context {
  return increment({ text: text.replace(/\r/g, ''), pos: 0, current: '', line: 0 });
}

const YAML_KEY = /^ *-? ?(.*?):/;
const YAML_ELEM = /^ *-/;

function find(exp: RegExp, key: string | null, c: Context): [Context, boolean] {
  let ctx = c;
  while (ctx.current.length > 0 || ctx.pos < ctx.text.length) {
    const m = exp.exec(ctx.current);
    if (m && (key === null || m[1] === key)) return [ctx, true];
    ctx = increment(ctx);
  }
  return [ctx, false];
}

// ---------------------------------------------------------------------------
// The merged node tree.

interface VNode {
  name: string;
  line: number;
  value: GoVal | undefined;
  children: VNode[];
}

function weakValue(y: YNode): GoVal | undefined {
  switch (y.kind) {
    case 'null':
      return undefined;
    case 'str':
      return y.bytes ? { k: 'string', s: y.value, bytes: y.bytes } : { k: 'string', s: y.value };
    case 'int':
      return { k: 'int', n: y.value };
    case 'float':
      return { k: 'float64', n: y.value };
    case 'bool':
      return { k: 'bool', b: y.value };
    case 'map':
      return { k: 'map' };
    case 'seq':
      return { k: 'slice' };
  }
}

/** fmt.Sprintf("%s", key) for a key of a map[interface{}]interface{}. */
function keyName(k: YNode): string {
  switch (k.kind) {
    case 'str':
      return k.value;
    case 'int':
      return `%!s(int=${k.value})`;
    case 'float':
      return `%!s(float64=${goFloat(k.value)})`;
    case 'bool':
      return `%!s(bool=${k.value})`;
    default:
      return '%!s(<nil>)';
  }
}

/** Go map identity of a key: same type and value; NaN never equals itself. */
function keyIdentity(k: YNode, index: number): string {
  switch (k.kind) {
    case 'str':
      return `s:${k.value}`;
    case 'int':
      return `i:${k.value}`;
    case 'float':
      return Number.isNaN(k.value) ? `nan:${index}` : `f:${k.value}`;
    case 'bool':
      return `b:${k.value}`;
    default:
      return 'nil';
  }
}

function weakNode(y: YNode | undefined, c: Context, name: string, line: number): VNode {
  const n: VNode = { name, line, value: y ? weakValue(y) : undefined, children: [] };
  if (!y) return n;
  if (y.kind === 'map') {
    // A Go map holds one value per key: the last one, at the first key's place.
    const order: string[] = [];
    const byId = new Map<string, { key: YNode; value: YNode }>();
    y.entries.forEach((e, i) => {
      const id = keyIdentity(e.key, i);
      if (!byId.has(id)) order.push(id);
      byId.set(id, { key: byId.get(id)?.key ?? e.key, value: e.value });
    });
    for (const id of order) {
      const e = byId.get(id);
      if (!e) continue;
      const kn = keyName(e.key);
      const [c2, ok] = find(YAML_KEY, kn, c);
      n.children.push(weakNode(e.value, c2, kn, ok ? c2.line : 0));
    }
  } else if (y.kind === 'seq') {
    let ctx = c;
    y.items.forEach((it, i) => {
      const [c2, ok] = find(YAML_ELEM, null, ctx);
      ctx = c2;
      n.children.push(weakNode(it, ctx, `${name}[${i}]`, ok ? ctx.line : 0));
      ctx = increment(ctx);
    });
  }
  return n;
}

function normalizeNames(n: VNode): VNode {
  return { ...n, name: n.name.replace(/-/g, '_'), children: n.children.map(normalizeNames) };
}

interface SNode {
  name: string;
  value: SVal;
  children: SNode[];
}

function strongNode(v: SVal, name: string): SNode {
  const children: SNode[] = [];
  if (v.t === 'struct') for (const [k, x] of v.fields) children.push(strongNode(x, k));
  if (v.t === 'slice') v.items.forEach((x, i) => children.push(strongNode(x, `${name}[${i}]`)));
  return { name, value: v, children };
}

function strongValue(v: SVal): GoVal {
  switch (v.t) {
    case 'string':
      return v.bytes ? { k: 'string', s: v.s, bytes: v.bytes } : { k: 'string', s: v.s };
    case 'int':
      return { k: 'int', n: v.n };
    case 'float':
      return { k: 'float64', n: v.n };
    case 'bool':
      return { k: 'bool', b: v.b };
    case 'struct':
      return { k: 'struct' };
    case 'slice':
      return { k: 'slice' };
  }
}

/** coerceNodes: a leaf takes the schema-typed value when the kinds agree. */
function coerce(w: VNode, s: SNode | undefined): VNode {
  const n: VNode = { ...w, children: [] };
  if (w.children.length === 0 && s && s.children.length === 0 && w.value) {
    const sv = strongValue(s.value);
    if (isCompatible(w.value.k, sv.k)) n.value = sv;
  }
  for (const cw of w.children) n.children.push(coerce(cw, s?.children.find((c) => c.name === cw.name)));
  return n;
}

function child(n: VNode | undefined, name: string): VNode | undefined {
  return n?.children.find((c) => c.name === name);
}

// ---------------------------------------------------------------------------
// The rules, in the original's order.

type Rule = (cfg: VNode, r: ReportEntry[]) => void;

function checkDiscoveryUrl(cfg: VNode, r: ReportEntry[]): void {
  const c = child(child(child(cfg, 'coreos'), 'etcd'), 'discovery');
  if (!c || !c.value) return;
  if (!isRequestUri(valueString(c.value))) r.push({ kind: 'warning', line: c.line, message: 'discovery URL is not valid' });
}

function checkEncoding(cfg: VNode, r: ReportEntry[]): void {
  for (const f of child(cfg, 'write_files')?.children ?? []) {
    const e = child(f, 'encoding');
    if (!e || !e.value) continue;
    const c = child(f, 'content');
    const enc = valueString(e.value);
    const v = c?.value;
    const bytes = v && v.k === 'string' && v.bytes ? v.bytes : new TextEncoder().encode(valueString(v));
    if (!decodeContent(bytes, enc).ok) r.push({ kind: 'error', line: c?.line ?? 0, message: `content cannot be decoded as ${goQuote(enc)}` });
  }
}

function checkStructure(cfg: VNode, r: ReportEntry[]): void {
  checkNodeStructure(cfg, CLOUD_CONFIG_TYPE, r);
}

function checkNodeStructure(n: VNode, g: FieldType, r: ReportEntry[]): void {
  if (!isCompatible(kindOf(n.value), typeKind(g))) {
    r.push({ kind: 'warning', line: n.line, message: `incorrect type for ${goQuote(n.name)} (want ${humanType(g)})` });
    return;
  }
  if (g.k === 'struct') {
    for (const cn of n.children) {
      const cg = g.fields.find((f: Field) => f.name === cn.name);
      if (cg) {
        if (cg.deprecated) r.push({ kind: 'warning', line: cn.line, message: `deprecated key ${goQuote(cn.name)} (${cg.deprecated})` });
        checkNodeStructure(cn, cg.type, r);
      } else {
        r.push({ kind: 'warning', line: cn.line, message: `unrecognized key ${goQuote(cn.name)}` });
      }
    }
  } else if (g.k === 'slice') {
    for (const cn of n.children) checkNodeStructure(cn, g.elem, r);
  }
}

function checkValidity(cfg: VNode, r: ReportEntry[]): void {
  checkNodeValidity(cfg, CLOUD_CONFIG_TYPE, undefined, r);
}

function checkNodeValidity(n: VNode, g: FieldType, field: Field | undefined, r: ReportEntry[]): void {
  if (field?.valid && !isZero(n.value) && n.value) {
    const text = valueV(n.value);
    if (!field.valid.test(text)) r.push({ kind: 'error', line: n.line, message: `invalid value ${text}` });
  }
  if (g.k === 'struct') {
    for (const cn of n.children) {
      const cg = g.fields.find((f: Field) => f.name === cn.name);
      if (cg) checkNodeValidity(cn, cg.type, cg, r);
    }
  } else if (g.k === 'slice') {
    for (const cn of n.children) checkNodeValidity(cn, g.elem, undefined, r);
  }
}

function checkWriteFiles(cfg: VNode, r: ReportEntry[]): void {
  for (const f of child(cfg, 'write_files')?.children ?? []) {
    const c = child(f, 'path');
    if (!c || !c.value) continue;
    if (goPathDir(valueString(c.value)).startsWith('/usr')) {
      r.push({ kind: 'error', line: c.line, message: 'file cannot be written to a read-only filesystem' });
    }
  }
}

function checkWriteFilesUnderCoreos(cfg: VNode, r: ReportEntry[]): void {
  const c = child(child(cfg, 'coreos'), 'write_files');
  if (c && c.value) r.push({ kind: 'info', line: c.line, message: "write_files doesn't belong under coreos" });
}

const RULES: readonly Rule[] = [
  checkDiscoveryUrl,
  checkEncoding,
  checkStructure,
  checkValidity,
  checkWriteFiles,
  checkWriteFilesUnderCoreos,
];

/** Validates the text of a cloud-config (header included). Never throws. */
export function validateCloudConfig(text: string): Report {
  const entries: ReportEntry[] = [];
  try {
    const y = parseGoYaml(text);
    if (!y.ok) {
      entries.push({ kind: 'error', line: y.problem.line ?? 1, message: y.problem.message });
      return { entries };
    }
    const root = y.root;
    const weakRoot: VNode =
      root && root.kind === 'map'
        ? weakNode(root, newContext(text), '', 0)
        : { name: '', line: 0, value: { k: 'map' }, children: [] };
    const weak = normalizeNames(weakRoot);
    const zero = zeroOf(CLOUD_CONFIG_TYPE);
    const strong = root ? decodeInto(root, CLOUD_CONFIG_TYPE, zero).value : zero;
    const cfg = coerce(weak, strongNode(strong, ''));
    for (const rule of RULES) rule(cfg, entries);
    return { entries };
  } catch (e) {
    if (e instanceof GoPanic) return { entries, internalError: e.message };
    return { entries, internalError: e instanceof Error ? e.message : String(e) };
  }
}

// ---------------------------------------------------------------------------
// Go library behaviour the rules depend on.

/** net/url.ParseRequestURI succeeds: an absolute URI, or an absolute path. */
export function isRequestUri(raw: string): boolean {
  if (/[\x00-\x1f\x7f]/.test(raw)) return false;
  if (raw === '') return false;
  if (raw === '*') return true;
  let rest = raw;
  let scheme = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return false; // missing protocol scheme
      scheme = raw.slice(0, i);
      rest = raw.slice(i + 1);
    }
    break;
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) return scheme !== '';
  if (scheme !== '' && rest.startsWith('//')) {
    const after = rest.slice(2);
    const slash = after.indexOf('/');
    const authority = slash < 0 ? after : after.slice(0, slash);
    rest = slash < 0 ? '' : after.slice(slash);
    if (!validAuthority(authority)) return false;
  }
  return validEscapes(rest);
}

function validEscapes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) return false;
      i += 2;
    }
  }
  return true;
}

function validAuthority(a: string): boolean {
  const at = a.lastIndexOf('@');
  const host = at >= 0 ? a.slice(at + 1) : a;
  if (at >= 0 && !validEscapes(a.slice(0, at))) return false;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    const port = host.slice(end + 1);
    return port === '' || /^:[0-9]*$/.test(port);
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !/^[0-9]*$/.test(host.slice(colon + 1))) return false;
  return validEscapes(host);
}
