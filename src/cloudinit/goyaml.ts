// YAML as coreos-cloudinit saw it. The original decoded with coreos/yaml, a
// fork of go-yaml v1 built on libyaml: YAML 1.1 scalars (yes/no/on/off are
// bools, 0744 is octal), type mismatches silently skipped, merge keys, and
// error messages in libyaml's words with libyaml's zero-based line marks.
// The `yaml` package does the syntax; this module re-resolves every plain
// scalar with go-yaml's rules and restates errors the way libyaml did.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';
import { decodeBase64Go } from './encoding.js';

/** A decoded YAML value with go-yaml v1 typing. `text` is the scalar's value
 *  as the parser produced it: what go-yaml stores into a string field. */
export type YNode =
  | { kind: 'null'; text: string }
  | { kind: 'str'; text: string; value: string; bytes?: Uint8Array }
  | { kind: 'int'; text: string; value: number }
  | { kind: 'float'; text: string; value: number }
  | { kind: 'bool'; text: string; value: boolean }
  | { kind: 'map'; entries: YEntry[] }
  | { kind: 'seq'; items: YNode[] };

/** One key assignment, in order. Merge keys (`<<`) are already expanded into
 *  the assignments they stand for, in go-yaml's order. */
export interface YEntry {
  key: YNode;
  value: YNode;
}

/** A YAML error as go-yaml reported it: `line` is what followed "line " in
 *  "YAML error: line N: msg", or null when the message carried no line. */
export interface YamlProblem {
  line: number | null;
  message: string;
}

export type YamlResult = { ok: true; root: YNode | null } | { ok: false; problem: YamlProblem };

const TAG = 'tag:yaml.org,2002:';
// Alias expansion is unbounded in go-yaml; a bound keeps a hostile document
// from exhausting memory (a deliberate difference, reported as a YAML error).
const MAX_EXPANDED_NODES = 200_000;

class Fail extends Error {}

/** Parses the first YAML document of `text` as go-yaml v1 did. Never throws. */
export function parseGoYaml(text: string): YamlResult {
  try {
    const docs = parseAllDocuments(text, {
      schema: 'failsafe',
      version: '1.1',
      uniqueKeys: false,
      strict: false,
      prettyErrors: false,
    });
    const list = Array.isArray(docs) ? docs : [];
    const scanProblem = libyamlTabProblem(text);
    const first = list[0];
    const parseProblem = first && first.errors.length > 0 ? translateError(text, first.errors[0]) : null;
    const problem = earliest(scanProblem, parseProblem);
    if (problem) return { ok: false, problem: { line: problem.line, message: problem.message } };
    if (!first || first.contents === null) return { ok: true, root: null };
    const conv = new Converter(first);
    return { ok: true, root: conv.convert(first.contents) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, problem: { line: null, message: e.message } };
    return { ok: false, problem: { line: null, message: `unknown problem parsing YAML content` } };
  }
}

interface PositionedProblem extends YamlProblem {
  offset: number;
}

function earliest(a: PositionedProblem | null, b: PositionedProblem | null): PositionedProblem | null {
  if (!a) return b;
  if (!b) return a;
  return a.offset <= b.offset ? a : b;
}

class Converter {
  private anchors = new Map<string, YamlNode>();
  private active = new Set<string>();
  private count = 0;

  constructor(doc: Document) {
    // go-yaml looks anchors up after parsing the whole document, so the last
    // definition of a name wins even for aliases that precede it.
    const visit = (n: unknown): void => {
      if (isMap(n) || isSeq(n)) {
        if (n.anchor) this.anchors.set(n.anchor, n);
        for (const it of n.items) {
          if (isMap(n)) {
            const p = it as { key: unknown; value: unknown };
            visit(p.key);
            visit(p.value);
          } else visit(it);
        }
      } else if (isScalar(n) && n.anchor) this.anchors.set(n.anchor, n);
    };
    visit(doc.contents);
  }

  convert(n: unknown): YNode {
    if (++this.count > MAX_EXPANDED_NODES) throw new Fail('document too large after alias expansion');
    if (n === null || n === undefined) return { kind: 'null', text: '' };
    if (isAlias(n)) {
      const name = n.source;
      const target = this.anchors.get(name);
      if (!target) throw new Fail(`Unknown anchor '${name}' referenced`);
      if (this.active.has(name)) throw new Fail(`Anchor '${name}' value contains itself`);
      this.active.add(name);
      const out = this.convert(target);
      this.active.delete(name);
      return out;
    }
    if (isScalar(n)) {
      const text = typeof n.value === 'string' ? n.value : String(n.value ?? '');
      const plain = n.type === 'PLAIN' || n.type === undefined;
      const tag = n.tag ?? (plain ? '' : `${TAG}str`);
      return resolveScalar(tag, text);
    }
    if (isSeq(n)) return { kind: 'seq', items: n.items.map((it) => this.convert(it)) };
    if (isMap(n)) {
      const entries: YEntry[] = [];
      for (const it of n.items) {
        const p = it as { key: unknown; value: unknown };
        const keyNode = p.key;
        if (isMerge(keyNode)) {
          entries.push(...this.mergeEntries(p.value));
          continue;
        }
        const key = this.convert(keyNode);
        if (key.kind === 'map' || key.kind === 'seq') throw new Fail(`invalid map key: ${goSyntax(key)}`);
        entries.push({ key, value: this.convert(p.value) });
      }
      return { kind: 'map', entries };
    }
    return { kind: 'null', text: '' };
  }

  private mergeEntries(v: unknown): YEntry[] {
    const wantMap = 'map merge requires map or sequence of maps as the value';
    const mapOf = (x: unknown): YEntry[] => {
      const target = isAlias(x) ? this.anchors.get(x.source) : x;
      if (target !== undefined && !isMap(target)) throw new Fail(wantMap);
      const node = this.convert(x);
      if (node.kind !== 'map') throw new Fail(wantMap);
      return node.entries;
    };
    if (isMap(v) || isAlias(v)) return mapOf(v);
    if (isSeq(v)) {
      // go-yaml applies the list backwards so that earlier maps win.
      const out: YEntry[] = [];
      for (let i = v.items.length - 1; i >= 0; i--) {
        const it = v.items[i];
        if (!isMap(it) && !isAlias(it)) throw new Fail(wantMap);
        out.push(...mapOf(it));
      }
      return out;
    }
    throw new Fail(wantMap);
  }
}

function isMerge(n: unknown): boolean {
  return isScalar(n) && n.value === '<<' && (n.type === 'PLAIN' || n.tag === `${TAG}merge`);
}

const BOOL_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const BOOL_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULLS = ['', '~', 'null', 'Null', 'NULL'];

function shortTag(tag: string): string {
  return tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag;
}

/** go-yaml v1's resolve(): implicit typing of a scalar, or checking an explicit tag. */
export function resolveScalar(tag: string, text: string): YNode {
  const resolvable = ['', `${TAG}str`, `${TAG}bool`, `${TAG}int`, `${TAG}float`, `${TAG}null`].includes(tag);
  if (tag === `${TAG}binary`) {
    const d = decodeBase64Go(new TextEncoder().encode(text));
    if (!('bytes' in d)) throw new Fail('!!binary value contains invalid base64 data');
    const bytes = d.bytes;
    return { kind: 'str', text: latin1OrUtf8(bytes), value: latin1OrUtf8(bytes), bytes };
  }
  if (!resolvable) return { kind: 'str', text, value: text };
  const out = implicitType(tag, text);
  const got = out.kind === 'str' ? `${TAG}str` : out.kind === 'null' ? `${TAG}null` : `${TAG}${out.kind}`;
  if (tag !== '' && tag !== `${TAG}str` && tag !== got) {
    throw new Fail(`cannot decode ${shortTag(got)} \`${text}\` as a ${shortTag(tag)}`);
  }
  return out;
}

function implicitType(tag: string, text: string): YNode {
  if (tag === `${TAG}str`) return { kind: 'str', text, value: text };
  const c = text.length > 0 ? text[0] : '';
  const hint = text === '' ? 'N' : /[+-]/.test(c) ? 'S' : /[0-9]/.test(c) ? 'D' : /[yYnNtTfFoO~]/.test(c) ? 'M' : c === '.' ? '.' : '';
  if (hint !== '') {
    if (BOOL_TRUE.includes(text)) return { kind: 'bool', text, value: true };
    if (BOOL_FALSE.includes(text)) return { kind: 'bool', text, value: false };
    if (NULLS.includes(text)) return { kind: 'null', text };
    if (['.nan', '.NaN', '.NAN'].includes(text)) return { kind: 'float', text, value: NaN };
    if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].includes(text)) return { kind: 'float', text, value: Infinity };
    if (['-.inf', '-.Inf', '-.INF'].includes(text)) return { kind: 'float', text, value: -Infinity };
    if (hint === '.') {
      const f = goParseFloat(text);
      if (f !== null) return { kind: 'float', text, value: f };
    } else if (hint === 'D' || hint === 'S') {
      const plain = text.replace(/_/g, '');
      const i = goParseInt(plain);
      if (i !== null) return { kind: 'int', text, value: i };
      const f = goParseFloat(plain);
      if (f !== null) return { kind: 'float', text, value: f };
      const bin = /^(-?)0b([01]+)$/.exec(plain);
      if (bin) return { kind: 'int', text, value: (bin[1] ? -1 : 1) * parseInt(bin[2], 2) };
    }
  }
  return { kind: 'str', text, value: text };
}

/** strconv.ParseInt(s, 0, 64): optional sign, then 0x hex, leading-0 octal or decimal. */
function goParseInt(s: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return null;
  const body = m[2];
  let big: bigint;
  if (/^0[xX]/.test(body)) big = BigInt(body);
  else if (body.length > 1 && body[0] === '0') big = BigInt(`0o${body.slice(1)}`);
  else big = BigInt(body);
  if (m[1] === '-') big = -big;
  if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
  return Number(big);
}

/** strconv.ParseFloat(s, 64) for the forms Go of that era accepted. */
function goParseFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

function latin1OrUtf8(bytes: Uint8Array): string {
  const s = Buffer.from(bytes).toString('utf8');
  return Buffer.from(s, 'utf8').equals(Buffer.from(bytes)) ? s : Buffer.from(bytes).toString('latin1');
}

/** Go's %#v for a collection used as a map key, as in "invalid map key: ...". */
function goSyntax(n: YNode): string {
  switch (n.kind) {
    case 'null':
      return 'interface {}(nil)';
    case 'str':
      return JSON.stringify(n.value);
    case 'int':
    case 'float':
    case 'bool':
      return String(n.value);
    case 'seq':
      return `[]interface {}{${n.items.map(goSyntax).join(', ')}}`;
    case 'map':
      return `map[interface {}]interface {}{${n.entries.map((e) => `${goSyntax(e.key)}:${goSyntax(e.value)}`).join(', ')}}`;
  }
}

// ---------------------------------------------------------------------------
// Errors in libyaml's words. go-yaml printed the zero-based line of
// libyaml's problem mark, and no line at all when that mark was on line 0.

function lineOf(text: string, offset: number): number {
  let n = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') n++;
  return n;
}

/** Where libyaml's mark stands at the end of the stream: it forces a new line
 *  when the last line has content. */
function endOfStreamLine(text: string): number {
  const lines = text.split('\n').length - 1;
  return text.length > 0 && !text.endsWith('\n') ? lines + 1 : lines;
}

/** The offset of the next token after `from`: skips blanks, line breaks and comments. */
function nextTokenOffset(text: string, from: number): number | null {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else return i;
  }
  return null;
}

function translateError(text: string, err: YAMLError): PositionedProblem {
  const [start, end] = err.pos;
  const msg = err.message;
  const at = (offset: number, message: string): PositionedProblem => ({ offset, line: lineOf(text, offset), message });
  switch (err.code) {
    case 'MISSING_CHAR':
      // An unclosed quote runs to the end: libyaml marks the last line itself.
      if (/quote/i.test(msg)) return { offset: start, line: lineOf(text, text.length), message: 'found unexpected end of stream' };
      if (/Implicit map keys/.test(msg)) {
        // libyaml gives up on the key when it reaches the next token (or the
        // end of the stream) and marks that place.
        const next = nextTokenOffset(text, end);
        return { offset: start, line: next === null ? endOfStreamLine(text) : lineOf(text, next), message: "could not find expected ':'" };
      }
      return at(start, 'did not find expected node content');
    case 'BAD_SCALAR_START':
      return at(start, 'found character that cannot start any token');
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': {
      const colon = text.indexOf(':', end);
      return at(colon >= 0 ? colon : start, 'mapping values are not allowed in this context');
    }
    case 'BAD_INDENT':
      if (/Flow (sequence|mapping)/.test(msg)) {
        const seq = /sequence/.test(msg);
        return { offset: start, line: endOfStreamLine(text), message: seq ? "did not find expected ',' or ']'" : "did not find expected ',' or '}'" };
      }
      return at(start, inSequenceAt(text, start) ? "did not find expected '-' indicator" : 'did not find expected key');
    case 'UNEXPECTED_TOKEN':
      return at(start, inSequenceAt(text, start) ? "did not find expected '-' indicator" : 'did not find expected key');
    case 'BAD_DQ_ESCAPE':
      return at(start, 'found unknown escape character');
    case 'TAB_AS_INDENT':
      return at(start, 'found character that cannot start any token');
    default:
      return at(start, msg.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
  }
}

/** True when the nearest less-indented line before `offset` starts a block
 *  sequence entry: libyaml then wanted another "-" rather than a key. */
function inSequenceAt(text: string, offset: number): boolean {
  const lines = text.split('\n');
  const ln = lineOf(text, offset);
  const indent = (s: string): number => s.length - s.trimStart().length;
  const here = indent(lines[ln] ?? '');
  for (let i = ln - 1; i >= 0; i--) {
    const l = lines[i];
    if (l.trim() === '' || l.trimStart().startsWith('#')) continue;
    if (indent(l) === here) return l.trimStart().startsWith('- ') || l.trimStart() === '-';
    if (indent(l) < here) return false;
  }
  return false;
}

/** libyaml refuses a tab where it looks for the next token in block context:
 *  at the start of a line, or right after a "-", "?" or ":" indicator.
 *  Block scalar bodies and quoted text are skipped. */
function libyamlTabProblem(text: string): PositionedProblem | null {
  const lines = text.split('\n');
  let offset = 0;
  let blockParentIndent = -1;
  let blockIndent: number | null = null;
  let inBlock = false;
  let flowDepth = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/\r$/, '');
    const lineStart = offset;
    offset += lines[ln].length + 1;
    const ind = line.length - line.replace(/^ */, '').length;
    if (inBlock) {
      // Inside a block scalar a tab where indentation is still due is an error.
      if (line[ind] === '\t' && (blockIndent === null || ind < blockIndent)) {
        return { offset: lineStart + ind, line: ln, message: 'found a tab character where an indentation space is expected' };
      }
      if (line.trim() === '') continue;
      if (blockIndent === null && ind > blockParentIndent) blockIndent = ind;
      if (blockIndent !== null && ind >= blockIndent) continue;
      inBlock = false;
    }
    if (flowDepth > 0) {
      flowDepth = Math.max(0, flowDepth + countFlow(line));
      continue;
    }
    let i = ind;
    for (;;) {
      if (line[i] === '\t') return { offset: lineStart + i, line: ln, message: 'found character that cannot start any token' };
      const rest = line.slice(i);
      const ind2 = /^([-?]|:)(?=[ \t]|$)/.exec(rest);
      if (ind2) {
        i += 1;
        while (line[i] === ' ') i++;
        continue;
      }
      // A key: skip to the ": " that ends it, then look at what follows.
      const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^#'"{[][^#]*?)[ ]*:(?=[ \t]|$)/.exec(rest);
      if (key) {
        i += key[0].length;
        while (line[i] === ' ') i++;
        continue;
      }
      break;
    }
    const content = line.slice(i);
    if (/^[|>][0-9+-]*[ \t]*(#.*)?$/.test(content)) {
      inBlock = true;
      blockParentIndent = ind;
      blockIndent = null;
    } else if (/^[[{]/.test(content)) {
      flowDepth = Math.max(0, countFlow(content));
    }
  }
  return null;
}

function countFlow(s: string): number {
  let d = 0;
  let q: string | null = null;
  for (const c of s) {
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '[' || c === '{') d++;
    else if (c === ']' || c === '}') d--;
    else if (c === '#') break;
  }
  return d;
}
