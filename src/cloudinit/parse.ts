// Cloud-config text -> typed CloudConfig, as config.NewCloudConfig did:
// every mapping key has "-" turned into "_" first, values go into the schema's
// fields with go-yaml v1's rules (a value of the wrong type is silently
// skipped, null resets a field, a repeated list key appends), and then
// write_files contents are decoded per their encoding (CloudConfig.Decode).
import { decodeContent } from './encoding.js';
import { parseGoYaml, type YNode, type YamlProblem } from './goyaml.js';
import { CLOUD_CONFIG_TYPE, type CloudConfig, type Field, type FieldType } from './schema.js';

/** A value decoded into the schema, before it becomes a typed object. */
export type SVal =
  | { t: 'string'; s: string; bytes?: Uint8Array }
  | { t: 'int'; n: number }
  | { t: 'float'; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'struct'; fields: Map<string, SVal> }
  | { t: 'slice'; items: SVal[] };

export function zeroOf(type: FieldType): SVal {
  switch (type.k) {
    case 'string':
      return { t: 'string', s: '' };
    case 'int':
      return { t: 'int', n: 0 };
    case 'float':
      return { t: 'float', n: 0 };
    case 'bool':
      return { t: 'bool', b: false };
    case 'slice':
      return { t: 'slice', items: [] };
    case 'struct':
      return { t: 'struct', fields: new Map(type.fields.map((f) => [f.name, zeroOf(f.type)])) };
  }
}

/** The text go-yaml stores when a key is decoded into a string. */
function keyText(k: YNode): string {
  switch (k.kind) {
    case 'null':
      return '';
    case 'str':
    case 'int':
    case 'float':
    case 'bool':
      return k.text;
    default:
      return '';
  }
}

/** Decodes `y` into a value of `type`, starting from `current` (go-yaml
 *  decoded into the existing field). `good` false means "left unchanged". */
export function decodeInto(y: YNode, type: FieldType, current: SVal, transformKeys = true): { good: boolean; value: SVal } {
  const keep = { good: false, value: current };
  if (y.kind === 'null') return { good: true, value: zeroOf(type) };
  switch (type.k) {
    case 'string':
      if (y.kind === 'str') return { good: true, value: y.bytes ? { t: 'string', s: y.value, bytes: y.bytes } : { t: 'string', s: y.text } };
      if (y.kind === 'int' || y.kind === 'float' || y.kind === 'bool') return { good: true, value: { t: 'string', s: y.text } };
      return keep;
    case 'int':
      if (y.kind === 'int') return { good: true, value: { t: 'int', n: y.value } };
      if (y.kind === 'float' && Number.isFinite(y.value) && Math.abs(y.value) < 2 ** 63) return { good: true, value: { t: 'int', n: Math.trunc(y.value) } };
      return keep;
    case 'float':
      if (y.kind === 'int' || y.kind === 'float') return { good: true, value: { t: 'float', n: y.value } };
      return keep;
    case 'bool':
      if (y.kind === 'bool') return { good: true, value: { t: 'bool', b: y.value } };
      return keep;
    case 'slice': {
      if (y.kind !== 'seq') return keep;
      const items = current.t === 'slice' ? [...current.items] : [];
      for (const it of y.items) {
        const r = decodeInto(it, type.elem, zeroOf(type.elem), transformKeys);
        if (r.good) items.push(r.value);
      }
      return { good: true, value: { t: 'slice', items } };
    }
    case 'struct': {
      if (y.kind !== 'map') return keep;
      const base = current.t === 'struct' ? current : zeroOf(type);
      const fields = new Map<string, SVal>(base.t === 'struct' ? base.fields : []);
      for (const e of y.entries) {
        if (e.key.kind === 'map' || e.key.kind === 'seq') continue;
        const raw = keyText(e.key);
        const name = transformKeys ? raw.replace(/-/g, '_') : raw;
        const field = type.fields.find((f: Field) => f.name === name);
        if (!field) continue;
        const r = decodeInto(e.value, field.type, fields.get(name) ?? zeroOf(field.type), transformKeys);
        if (r.good) fields.set(name, r.value);
      }
      return { good: true, value: { t: 'struct', fields } };
    }
  }
}

/** The plain JavaScript form of a decoded value (typed by the schema). */
export function toPlain(v: SVal): unknown {
  switch (v.t) {
    case 'string':
      return v.s;
    case 'int':
    case 'float':
      return v.n;
    case 'bool':
      return v.b;
    case 'slice':
      return v.items.map(toPlain);
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v.fields) o[k] = toPlain(x);
      return o;
    }
  }
}

export interface ParsedCloudConfig {
  config: CloudConfig;
  /** Decoded bytes of each write_files entry, index for index. */
  fileContents: Uint8Array[];
  /** Why the text could not be used, as the original said it ("YAML error:
   *  ..." or an encoding error); the config is then empty. */
  error?: string;
}

export function emptyCloudConfig(): CloudConfig {
  return toPlain(zeroOf(CLOUD_CONFIG_TYPE)) as CloudConfig;
}

export function formatYamlProblem(p: YamlProblem): string {
  return p.line === null ? `YAML error: ${p.message}` : `YAML error: line ${p.line}: ${p.message}`;
}

/** Decodes the whole document into the schema. Never throws. */
export function decodeCloudConfig(text: string): { value: SVal } | { problem: YamlProblem } {
  const y = parseGoYaml(text);
  if (!y.ok) return { problem: y.problem };
  const zero = zeroOf(CLOUD_CONFIG_TYPE);
  if (!y.root) return { value: zero };
  return { value: decodeInto(y.root, CLOUD_CONFIG_TYPE, zero).value };
}

/** Parses cloud-config text into typed objects and decodes write_files. */
export function parseCloudConfig(text: string): ParsedCloudConfig {
  const d = decodeCloudConfig(text);
  if ('problem' in d) return { config: emptyCloudConfig(), fileContents: [], error: formatYamlProblem(d.problem) };
  const config = toPlain(d.value) as CloudConfig;
  const files = d.value.t === 'struct' ? d.value.fields.get('write_files') : undefined;
  const fileContents: Uint8Array[] = [];
  const items = files && files.t === 'slice' ? files.items : [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const c = it.t === 'struct' ? it.fields.get('content') : undefined;
    const raw = c && c.t === 'string' ? c.bytes ?? new TextEncoder().encode(c.s) : new Uint8Array(0);
    const dec = decodeContent(raw, config.write_files[i].encoding);
    if (!dec.ok) return { config: emptyCloudConfig(), fileContents: [], error: dec.error };
    fileContents.push(dec.bytes);
    // As the original: after decoding, the file carries its decoded content.
    config.write_files[i].content = Buffer.from(dec.bytes).toString('utf8');
    config.write_files[i].encoding = '';
  }
  return { config, fileContents };
}
