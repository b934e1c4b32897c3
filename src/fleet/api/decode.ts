// Request bodies read as Go's encoding/json reads them into fleet's structs:
// field names matched case-insensitively, unknown fields ignored, `null`
// leaves a field alone, and errors in Go's words (`EOF`, `invalid character
// 'x' looking for beginning of value`, `json: cannot unmarshal string into Go
// value of type []*schema.UnitOption`). Pure.

import type { ApiUnit, ApiUnitOption } from './schema.js';

export class DecodeError extends Error {}

/** A Go-like JSON syntax error for text JSON.parse refused. */
function syntaxError(text: string): DecodeError {
  const t = text.trimStart();
  if (t === '') return new DecodeError('EOF');
  const c = t[0]!;
  if (!/[[{"\-0-9tfn]/.test(c)) return new DecodeError(`invalid character '${c}' looking for beginning of value`);
  const literal = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
  if (literal !== undefined) {
    for (let i = 1; i < literal.length; i++) {
      if (i >= t.length) return new DecodeError('unexpected EOF');
      if (t[i] !== literal[i]) return new DecodeError(`invalid character '${t[i]}' in literal ${literal} (expecting '${literal[i]}')`);
    }
  }
  return new DecodeError('unexpected EOF');
}

/** Go's json.Decoder.Decode of the first JSON value in the body (trailing data is not an error). */
export function decodeFirstValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Decode stops after the first complete value: try the shortest prefix that parses.
    const t = text.trimStart();
    if (t === '') throw new DecodeError('EOF');
    for (let end = 1; end <= t.length; end++) {
      const ch = t[end - 1]!;
      if (!/[}\]"\d el]/.test(ch)) continue;
      try {
        return JSON.parse(t.slice(0, end));
      } catch {
        // keep looking
      }
    }
    throw syntaxError(text);
  }
}

const kindOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);

/** Looks a field up as Go does: exact name first, then case-insensitively. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(o, name)) return o[name];
  const lower = name.toLowerCase();
  const k = Object.keys(o).find((key) => key.toLowerCase() === lower);
  return k === undefined ? undefined : o[k];
}

/** Decodes fleet's schema.Unit; the first type error wins, as Go reports it. */
export function decodeUnit(text: string): ApiUnit {
  const v = decodeFirstValue(text);
  const errors: string[] = [];
  const typeError = (value: unknown, goType: string): void => void errors.push(`json: cannot unmarshal ${kindOf(value)} into Go value of type ${goType}`);
  const out: ApiUnit = {};
  if (v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) {
    typeError(v, 'schema.Unit');
    throw new DecodeError(errors[0]!);
  }
  const o = v as Record<string, unknown>;
  const strField = (name: keyof ApiUnit): void => {
    const x = field(o, name);
    if (x === undefined || x === null) return;
    if (typeof x !== 'string') typeError(x, 'string');
    else (out as Record<string, unknown>)[name] = x;
  };
  strField('currentState');
  strField('desiredState');
  strField('machineID');
  strField('name');
  const opts = field(o, 'options');
  if (opts !== undefined && opts !== null) {
    if (!Array.isArray(opts)) typeError(opts, '[]*schema.UnitOption');
    else {
      out.options = opts.map((item: unknown): ApiUnitOption => {
        const opt: ApiUnitOption = { name: '', section: '' };
        if (item === null) return opt;
        if (typeof item !== 'object' || Array.isArray(item)) {
          typeError(item, 'schema.UnitOption');
          return opt;
        }
        for (const k of ['name', 'section', 'value'] as const) {
          const x = field(item as Record<string, unknown>, k);
          if (x === undefined || x === null) continue;
          if (typeof x !== 'string') typeError(x, 'string');
          else opt[k] = x;
        }
        return opt;
      });
    }
  }
  if (errors.length > 0) throw new DecodeError(errors[0]!);
  return out;
}

/** One op of PATCH /machines as fleet v1.0.0 reads it: the value is wrapped, `{"value":{"value":"bar"}}`. */
export interface MetadataOp {
  op: string;
  path: string;
  value: string;
}

export function decodeMetadataOps(text: string): MetadataOp[] {
  const v = decodeFirstValue(text);
  if (v === null) return [];
  const goType = '[]api.machineMetadataOp';
  if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${kindOf(v)} into Go value of type ${goType}`);
  const errors: string[] = [];
  const ops = v.map((item: unknown): MetadataOp => {
    const op: MetadataOp = { op: '', path: '', value: '' };
    if (item === null) return op;
    if (typeof item !== 'object' || Array.isArray(item)) {
      errors.push(`json: cannot unmarshal ${kindOf(item)} into Go value of type api.machineMetadataOp`);
      return op;
    }
    const o = item as Record<string, unknown>;
    for (const k of ['op', 'path'] as const) {
      const x = field(o, k);
      if (x === undefined || x === null) continue;
      if (typeof x !== 'string') errors.push(`json: cannot unmarshal ${kindOf(x)} into Go value of type string`);
      else op[k] = x;
    }
    const val = field(o, 'value');
    if (val !== undefined && val !== null) {
      if (typeof val !== 'object' || Array.isArray(val)) {
        errors.push(`json: cannot unmarshal ${kindOf(val)} into Go value of type struct { Value string "json:\\"value\\"" }`);
      } else {
        const inner = field(val as Record<string, unknown>, 'value');
        if (inner !== undefined && inner !== null) {
          if (typeof inner !== 'string') errors.push(`json: cannot unmarshal ${kindOf(inner)} into Go value of type string`);
          else op.value = inner;
        }
      }
    }
    return op;
  });
  if (errors.length > 0) throw new DecodeError(errors[0]!);
  return ops;
}
