// fleet's api.ValidateName and api.ValidateOptions (fleet v1.0.0), which the
// API server applies to PUT /units/{name} and fleetctl applies client-side
// before creating a unit. Pure; built on the registry's job and unit-file
// readers. ValidateOptions reads requirements as fleet does there: through a
// Job without a name, so %-specifiers are not expanded, and the peer/glob
// checks come before the combination rules.

import { deserializeUnit, globMatch, requirementsOf, serializeUnit, validateUnitName, type UnitOption } from '../registry/index.js';
import type { ApiUnitOption } from './schema.js';

/** null when the name is acceptable, else fleet's message. */
export function validateName(name: string): string | null {
  return validateUnitName(name) ?? null;
}

/** API options (value may be absent) as unit-file options. */
export function toUnitOptions(options: readonly ApiUnitOption[]): UnitOption[] {
  return options.map((o) => ({ section: o.section ?? '', name: o.name ?? '', value: o.value ?? '' }));
}

/** Unit-file options as the API sends them (an empty value is left out). */
export function toApiOptions(options: readonly UnitOption[]): ApiUnitOption[] {
  return options.map((o) => (o.value === '' ? { name: o.name, section: o.section } : { name: o.name, section: o.section, value: o.value }));
}

export function isGlobalUnit(options: readonly UnitOption[]): boolean {
  return requirementsOf('', options).global;
}

/** The [X-Fleet] keys fleet does not recognise (fleetctl warns about the first). */
export function unrecognizedRequirements(options: readonly UnitOption[]): string[] {
  return requirementsOf('', options).unknown;
}

/** null when the options are acceptable, else fleet's message. */
export function validateOptions(options: readonly UnitOption[]): string | null {
  // The go-systemd round trip catches what cannot be stored (line length and the like).
  try {
    deserializeUnit(serializeUnit(options));
  } catch (e) {
    return (e as Error).message;
  }
  const r = requirementsOf('', options);
  const unique = (xs: string[]): string[] => [...new Set(xs)];
  const conflicts = unique(r.conflicts);
  const replaces = unique(r.replaces);
  const peers = unique(r.peers);
  for (const peer of peers) {
    for (const c of conflicts) if (globMatch(c, peer)) return `unresolvable requirements: peer ${JSON.stringify(peer)} matches conflict ${JSON.stringify(c)}`;
    for (const rp of replaces) if (globMatch(rp, peer)) return `unresolvable requirements: peer ${JSON.stringify(peer)} matches replace ${JSON.stringify(rp)}`;
  }
  const hasTarget = r.machineID !== undefined;
  if (hasTarget && peers.length > 0) return 'MachineID cannot be used with Peers';
  if (hasTarget && conflicts.length > 0) return 'MachineID cannot be used with Conflicts';
  if (hasTarget && r.global) return 'MachineID cannot be used with Global';
  if (hasTarget && replaces.length > 0) return 'MachineID cannot be used with Replaces';
  if (r.global && peers.length > 0) return 'Global cannot be used with Peers';
  if (r.global && replaces.length > 0) return 'Global cannot be used with Replaces';
  if (conflicts.length > 0 && replaces.length > 0) return 'Conflicts cannot be used with Replaces';
  return null;
}
