// Writing unit files back out (for `systemctl cat`, and for fleet, which
// stores units as option lists). Parsed values never start or end with
// whitespace and never end in a lone backslash (the parser consumed those), so
// parse → serialize → parse gives the same sections and values.

import type { UnitFile } from './syntax.js';

/** One assignment in a flat list, the shape fleet's API uses ({section, name, value}). */
export interface UnitOption {
  section: string;
  name: string;
  value: string;
}

export interface SerializableSection {
  name: string;
  entries: ReadonlyArray<{ key: string; value: string }>;
}

/** Unit-file text: each section header, its `Key=value` lines, a blank line between sections. */
export function serializeSections(sections: readonly SerializableSection[]): string {
  return sections
    .map((s) => [`[${s.name}]`, ...s.entries.map((e) => `${e.key}=${e.value}`)].join('\n') + '\n')
    .join('\n');
}

export function serializeUnitFile(file: Pick<UnitFile, 'sections'>): string {
  return serializeSections(file.sections);
}

/** The assignments of a parsed file as a flat option list, in file order. */
export function unitOptions(file: Pick<UnitFile, 'sections'>): UnitOption[] {
  return file.sections.flatMap((s) => s.entries.map((e) => ({ section: s.name, name: e.key, value: e.value })));
}

/**
 * Groups a flat option list back into sections: consecutive options of one
 * section share a header; a section seen again later gets a new header, so
 * the order of assignments (which matters for resets) is kept.
 */
export function sectionsFromOptions(options: readonly UnitOption[]): SerializableSection[] {
  const out: Array<{ name: string; entries: Array<{ key: string; value: string }> }> = [];
  for (const o of options) {
    const last = out[out.length - 1];
    if (last && last.name === o.section) last.entries.push({ key: o.name, value: o.value });
    else out.push({ name: o.section, entries: [{ key: o.name, value: o.value }] });
  }
  return out;
}

export function serializeOptions(options: readonly UnitOption[]): string {
  return serializeSections(sectionsFromOptions(options));
}
