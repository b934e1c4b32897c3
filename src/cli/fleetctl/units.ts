// Unit arguments as fleetctl treats them: name mangling, local unit files,
// template instances made from a submitted template or a template file next
// to the argument, and the lazy create step shared by submit/load/start
// (fleetctl.go's lazyCreateUnits and friends).

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ApiUnit } from '../../fleet/api/schema.js';
import { deserializeUnit, serializeUnit, sha1Hex, unitNameInfo, type UnitOption } from '../../fleet/registry/index.js';
import { toApiOptions, toUnitOptions, unrecognizedRequirements, validateName, validateOptions } from '../../fleet/api/validate.js';
import { logLine, type Ctx } from './context.js';
import { checkUnitState, JobState } from './wait.js';

const RECOGNIZED_TYPES = ['service', 'socket', 'timer', 'path', 'device', 'mount', 'automount'];

/** Go's path.Base. */
export function goBase(p: string): string {
  if (p === '') return '.';
  const t = p.replace(/\/+$/, '');
  if (t === '') return '/';
  return t.slice(t.lastIndexOf('/') + 1);
}

/** Go's path.Dir (lexical, cleaned). */
export function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  const dir = p.slice(0, i + 1);
  return dir === '' ? '.' : path.posix.normalize(dir).replace(/(.)\/$/, '$1');
}

/** `.service` is appended unless the name ends in one of the types fleetctl recognises (so `x.target` → `x.target.service`). */
export function maybeAppendDefaultUnitType(arg: string): string {
  return RECOGNIZED_TYPES.some((t) => arg.endsWith(`.${t}`)) ? arg : `${arg}.service`;
}

/** fleetctl's unitNameMangle: the base name, with the default type added. */
export function unitNameMangle(arg: string): string {
  return maybeAppendDefaultUnitType(goBase(arg));
}

/** A parse or read failure with the text fleetctl shows. */
class UnitLoadError extends Error {}

function exists(ctx: Ctx, file: string): boolean {
  try {
    statSync(path.resolve(ctx.cwd, file));
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Go's os.Stat error text. */
function statError(file: string, e: NodeJS.ErrnoException): string {
  const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOTDIR' ? 'not a directory' : e.message;
  return `stat ${file}: ${why}`;
}

/** getUnitFromFile: read and parse a local unit file (go-systemd rules). */
export function unitFromFile(ctx: Ctx, file: string): UnitOption[] {
  let text: string;
  try {
    text = readFileSync(path.resolve(ctx.cwd, file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOENT' ? 'no such file or directory' : err.message;
    throw new UnitLoadError(err.code === 'EISDIR' ? `read ${file}: ${why}` : `open ${file}: ${why}`);
  }
  try {
    return deserializeUnit(text);
  } catch (e) {
    throw new UnitLoadError((e as Error).message);
  }
}

const hashOf = (options: readonly UnitOption[]): string => sha1Hex(serializeUnit(options));

/** matchLocalFileAndUnit: throws when the file is missing or unreadable. */
function matchLocalFileAndUnit(ctx: Ctx, file: string, su: ApiUnit): boolean {
  try {
    statSync(path.resolve(ctx.cwd, file));
  } catch (e) {
    throw new UnitLoadError(statError(file, e as NodeJS.ErrnoException));
  }
  return hashOf(toUnitOptions(su.options ?? [])) === hashOf(unitFromFile(ctx, file));
}

/** isLocalUnitDifferent (with fatal=false): compares the local file, or the local template of an instance, with the registry's unit. */
function isLocalUnitDifferent(ctx: Ctx, file: string, su: ApiUnit): boolean {
  const replace = ctx.bool('replace');
  try {
    const same = matchLocalFileAndUnit(ctx, file, su);
    if (!same && !replace) ctx.err(`WARNING: Unit ${su.name} in registry differs from local unit file ${file}. Add --replace to override.`);
    return !same;
  } catch (e) {
    if (!(e instanceof UnitLoadError)) throw e;
  }
  const info = unitNameInfo(goBase(file));
  if (info === undefined) throw new UnitLoadError(`error extracting information from unit name ${file}`);
  if (info.instance === '') throw new UnitLoadError(`error Unit ${file} does not seem to be a template unit`);
  const templFile = path.posix.join(goDir(file), info.template);
  const same = matchLocalFileAndUnit(ctx, templFile, su);
  if (!same && !replace) ctx.err(`WARNING: Unit ${su.name} in registry differs from local template unit file ${file}. Add --replace to override.`);
  return !same;
}

/** Where --replace may re-create a unit, by command and desired state. */
const allowedReplace: Record<string, readonly string[]> = {
  submit: [JobState.Inactive],
  load: [JobState.Inactive, JobState.Loaded],
  start: [JobState.Inactive, JobState.Loaded, JobState.Launched],
};

/** checkUnitCreation: true when the unit must be created (or re-created with --replace). */
async function shouldCreate(ctx: Ctx, arg: string, currentCommand: string): Promise<boolean> {
  const name = unitNameMangle(arg);
  let unit: ApiUnit | null;
  try {
    unit = await ctx.client.unit(name);
  } catch (e) {
    throw new Error(`error retrieving Unit(${name}) from Registry: ${(e as Error).message}`);
  }
  if (unit === null) return true;
  const replace = ctx.bool('replace');
  let different = false;
  let error: Error | undefined;
  try {
    different = isLocalUnitDifferent(ctx, arg, unit);
  } catch (e) {
    if (!(e instanceof UnitLoadError)) throw e;
    error = e;
  }
  if (replace) {
    if (error !== undefined) throw error;
    if (different) {
      const allowed = allowedReplace[currentCommand];
      if (allowed === undefined) throw new Error('error: replacing units is not supported in this context');
      if (allowed.includes(unit.desiredState ?? '')) return true;
      ctx.err(`Warning: can not replace Unit(${unit.name}) in state '${unit.desiredState ?? ''}', use the appropriate command`);
      return false;
    }
    ctx.out(`Found same Unit(${unit.name}) in Registry, nothing to do`);
  }
  return false;
}

/** getUnitFile: the local file, else (for an instance) the template from the registry or next to the argument. */
async function unitFileFor(ctx: Ctx, file: string): Promise<UnitOption[]> {
  const name = unitNameMangle(file);
  if (exists(ctx, file)) {
    try {
      return unitFromFile(ctx, file);
    } catch (e) {
      throw new Error(`failed getting Unit(${file}) from file: ${(e as Error).message}`);
    }
  }
  const info = unitNameInfo(name);
  if (info === undefined) throw new Error(`error extracting information from unit name ${name}`);
  if (info.instance === '') throw new Error(`unable to find Unit(${name}) in Registry or on filesystem`);
  try {
    let tmpl: ApiUnit | null;
    try {
      tmpl = await ctx.client.unit(info.template);
    } catch (e) {
      throw new Error(`error retrieving template Unit(${info.template}) from Registry: ${(e as Error).message}`);
    }
    if (tmpl !== null) {
      try {
        isLocalUnitDifferent(ctx, file, tmpl);
      } catch (e) {
        if (!(e instanceof UnitLoadError)) throw e;
      }
      return toUnitOptions(tmpl.options ?? []);
    }
    const filePath = path.posix.join(goDir(file), info.template);
    if (!exists(ctx, filePath)) throw new Error(`unable to find template Unit(${info.template}) in Registry or on filesystem`);
    try {
      return unitFromFile(ctx, filePath);
    } catch (e) {
      throw new Error(`unable to load template Unit(${info.template}) from file: ${(e as Error).message}`);
    }
  } catch (e) {
    throw new Error(`failed getting Unit(${file}) from template: ${(e as Error).message}`);
  }
}

/** createUnit: validates as the API would, warns about unknown [X-Fleet] keys, then creates. */
async function createUnit(ctx: Ctx, name: string, options: UnitOption[]): Promise<void> {
  const badName = validateName(name);
  if (badName !== null) throw new Error(badName);
  const badOptions = validateOptions(options);
  if (badOptions !== null) throw new Error(badOptions);
  const unknown = unrecognizedRequirements(options)[0];
  if (unknown !== undefined) ctx.io.err(logLine('WARN', 'fleetctl.go:674', `Unit ${name}: unrecognized requirement in [X-Fleet] section: ${JSON.stringify(unknown)}`));
  try {
    await ctx.client.createUnit({ name, options: toApiOptions(options) });
  } catch (e) {
    throw new Error(`failed creating unit ${name}: ${(e as Error).message}`);
  }
}

/**
 * lazyCreateUnits: makes sure each named unit exists (registry, local file,
 * template in the registry, template on disk), creating what is missing,
 * then waits for the new ones to report `inactive`.
 */
export async function lazyCreateUnits(ctx: Ctx, args: readonly string[], currentCommand: string): Promise<void> {
  const blockAttempts = ctx.int('block-attempts');
  const checks: Promise<string | null>[] = [];
  for (const raw of args) {
    const arg = maybeAppendDefaultUnitType(raw);
    const name = unitNameMangle(arg);
    if (!(await shouldCreate(ctx, arg, currentCommand))) continue;
    const options = await unitFileFor(ctx, arg);
    await createUnit(ctx, name, options);
    checks.push(checkUnitState(ctx, name, JobState.Inactive, blockAttempts));
  }
  let failed = false;
  for (const msg of await Promise.all(checks)) {
    if (msg === null) continue;
    ctx.err(`Error waiting on unit creation: ${msg}`);
    failed = true;
  }
  if (failed) throw new Error('One or more errors creating units');
}

/** findUnits: the registry's units named by the arguments, in argument order. */
export async function findUnits(ctx: Ctx, args: readonly string[]): Promise<ApiUnit[]> {
  const units = await ctx.client.units();
  const byName = new Map(units.map((u) => [u.name ?? '', u]));
  return args.map(unitNameMangle).flatMap((n) => (byName.has(n) ? [byName.get(n)!] : []));
}

/** setTargetStateOfUnits: the units whose desired state had to change. */
export async function setTargetStateOfUnits(ctx: Ctx, names: readonly string[], state: string): Promise<ApiUnit[]> {
  const triggered: ApiUnit[] = [];
  for (const name of names) {
    let u: ApiUnit | null;
    try {
      u = await ctx.client.unit(name);
    } catch (e) {
      throw new Error(`error retrieving unit ${name} from registry: ${(e as Error).message}`);
    }
    if (u === null) throw new Error(`unable to find unit ${name}`);
    if (u.desiredState === state) continue;
    await ctx.client.setUnitTargetState(u.name ?? name, state);
    triggered.push(u);
  }
  return triggered;
}
