// What the manager knows about one unit: its definition (from the units
// module plus `.wants/`/`.requires/` links) and dependency lists merged.
import type { Condition, LoadedUnit, UnitSectionSettings, UnitSettings } from '../units/index.js';

export interface UnitDefinition {
  loaded: LoadedUnit;
  /** Units named by symlinks in `<unit>.wants/` and `<unit>.requires/` of every unit dir. */
  linkedWants: string[];
  linkedRequires: string[];
}

/** A unit's dependency lists, exactly as the [Unit] section gives them. */
export type Dependencies = Pick<UnitSectionSettings, 'requires' | 'wants' | 'requisite' | 'bindsTo' | 'partOf' | 'conflicts' | 'after' | 'before'>;

const EMPTY: Dependencies = { requires: [], wants: [], requisite: [], bindsTo: [], partOf: [], conflicts: [], after: [], before: [] };

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

export function dependenciesOf(def: UnitDefinition): Dependencies {
  const s: UnitSettings | null = def.loaded.settings;
  if (!s || def.loaded.loadState !== 'loaded') return EMPTY;
  const u = s.unit;
  // A target is ordered after what it wants or requires (systemd.target(5) default dependencies).
  const isTarget = def.loaded.id.endsWith('.target') && u.defaultDependencies;
  const requires = union(u.requires, def.linkedRequires);
  const wants = union(u.wants, def.linkedWants);
  return {
    requires,
    wants,
    requisite: u.requisite,
    bindsTo: u.bindsTo,
    partOf: u.partOf,
    conflicts: u.conflicts,
    after: isTarget ? union(u.after, [...requires, ...wants].filter((n) => !u.before.includes(n))) : u.after,
    before: u.before,
  };
}

/** Decides one Condition*= or Assert*= check (the shell looks at the machine). */
export type ConditionChecker = (c: Condition, unit: string) => boolean;

/**
 * condition_test_list(): every non-triggering condition must hold, and if
 * there are triggering (`|`) ones, at least one of them must hold. Returns
 * the first failing condition, or null.
 */
export function failingCondition(list: readonly Condition[], unit: string, check: ConditionChecker): Condition | null {
  let triggered: boolean | null = null;
  let firstTrigger: Condition | null = null;
  for (const c of list) {
    const holds = check(c, unit) !== c.negate;
    if (c.trigger) {
      firstTrigger ??= c;
      triggered = (triggered ?? false) || holds;
    } else if (!holds) return c;
  }
  return triggered === false ? firstTrigger : null;
}
