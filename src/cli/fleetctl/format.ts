// What fleetctl prints, as pure functions: machine legends, metadata, the
// three list tables (rows joined by tabs, then aligned by the tabwriter), and
// the field lists with fleetctl's validation messages.

import { sha1Hex, serializeUnit, unitDescription } from '../../fleet/registry/index.js';
import type { ApiMachine, ApiUnit, ApiUnitState } from '../../fleet/api/schema.js';
import { isGlobalUnit, toUnitOptions } from '../../fleet/api/validate.js';
import { tabwrite } from './tabwriter.js';

/** A machine as fleetctl's MachineState: ID, public IP, metadata. */
export interface MachineInfo {
  id: string;
  publicIP: string;
  metadata: Record<string, string>;
}

export function machineFromApi(m: ApiMachine): MachineInfo {
  return { id: m.id ?? '', publicIP: m.primaryIP ?? '', metadata: m.metadata ?? {} };
}

/** `113f16a7...`, or the full ID with --full. */
export function machineIDLegend(m: MachineInfo, full: boolean): string {
  return full ? m.id : `${m.id.slice(0, 8)}...`;
}

/** `113f16a7.../10.0.0.3`; the `/IP` part only when the IP is known. */
export function machineFullLegend(m: MachineInfo, full: boolean): string {
  const legend = machineIDLegend(m, full);
  return m.publicIP !== '' ? `${legend}/${m.publicIP}` : legend;
}

/** `k=v,k2=v2` sorted by key (byte order, as Go sorts strings). */
export function formatMetadata(metadata: Record<string, string>): string {
  return Object.keys(metadata)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => `${k}=${metadata[k]}`)
    .join(',');
}

export type MachineLookup = (id: string) => MachineInfo | undefined;

export function unitIsGlobal(u: ApiUnit): boolean {
  return isGlobalUnit(toUnitOptions(u.options ?? []));
}

export function unitHashOf(u: ApiUnit): string {
  return sha1Hex(serializeUnit(toUnitOptions(u.options ?? [])));
}

type Field<T> = (item: T, full: boolean, machines: MachineLookup) => string;

const machineFields: Record<string, Field<MachineInfo>> = {
  machine: (m, full) => machineIDLegend(m, full),
  ip: (m) => (m.publicIP === '' ? '-' : m.publicIP),
  metadata: (m) => (Object.keys(m.metadata).length === 0 ? '-' : formatMetadata(m.metadata)),
};

const legendOf = (id: string, full: boolean, machines: MachineLookup): string =>
  machineFullLegend(machines(id) ?? { id, publicIP: '', metadata: {} }, full);

const unitStateFields: Record<string, Field<ApiUnitState>> = {
  unit: (s) => s.name ?? '',
  load: (s) => s.systemdLoadState ?? '',
  active: (s) => s.systemdActiveState ?? '',
  sub: (s) => s.systemdSubState ?? '',
  machine: (s, full, machines) => (s.machineID === undefined || s.machineID === '' ? '-' : legendOf(s.machineID, full, machines)),
  hash: (s, full) => (s.hash === undefined || s.hash === '' ? '-' : full ? s.hash : s.hash.slice(0, 7)),
};

const targetField: Field<ApiUnit> = (u, full, machines) => {
  if (unitIsGlobal(u)) return 'global';
  if (u.machineID === undefined || u.machineID === '') return '-';
  return legendOf(u.machineID, full, machines);
};

const unitFileFields: Record<string, Field<ApiUnit>> = {
  unit: (u) => u.name ?? '',
  global: (u) => String(unitIsGlobal(u)),
  dstate: (u) => (u.desiredState === undefined || u.desiredState === '' ? '-' : u.desiredState),
  target: targetField,
  tmachine: targetField,
  state: (u) => (unitIsGlobal(u) || u.currentState === undefined || u.currentState === '' ? '-' : u.currentState),
  hash: (u, full) => (full ? unitHashOf(u) : unitHashOf(u).slice(0, 7)),
  desc: (u) => unitDescription(toUnitOptions(u.options ?? [])) || '-',
};

export const defaultFields = {
  'list-machines': 'machine,ip,metadata',
  'list-units': 'unit,machine,active,sub',
  'list-unit-files': 'unit,hash,dstate,state,target',
} as const;

export type ListCommand = keyof typeof defaultFields;

/** Field names for the --fields help text, as fleet lists them (sorted, except list-machines). */
export function fieldNames(cmd: ListCommand): string[] {
  if (cmd === 'list-machines') return Object.keys(machineFields);
  return Object.keys(cmd === 'list-units' ? unitStateFields : unitFileFields).sort();
}

export class FieldsError extends Error {}

/** The columns of --fields, or a FieldsError with fleetctl's message. */
export function parseFields(cmd: ListCommand, spec: string): string[] {
  if (spec === '') throw new FieldsError('Must define output format');
  const known = cmd === 'list-machines' ? machineFields : cmd === 'list-units' ? unitStateFields : unitFileFields;
  const cols = spec.split(',');
  for (const c of cols) if (!Object.hasOwn(known, c)) throw new FieldsError(`Invalid key in output format: "${c}"`);
  return cols;
}

export interface TableOptions {
  cols: readonly string[];
  full: boolean;
  noLegend: boolean;
  machines: MachineLookup;
}

function table<T>(fieldsOf: Record<string, Field<T>>, items: readonly T[], o: TableOptions): string {
  let text = '';
  if (!o.noLegend) text += o.cols.join('\t').toUpperCase() + '\n';
  for (const item of items) text += o.cols.map((c) => fieldsOf[c]!(item, o.full, o.machines)).join('\t') + '\n';
  return tabwrite(text);
}

export function machinesTable(machines: readonly MachineInfo[], o: TableOptions): string {
  return table(machineFields, machines, o);
}

export function unitStatesTable(states: readonly ApiUnitState[], o: TableOptions): string {
  return table(unitStateFields, states, o);
}

export function unitFilesTable(units: readonly ApiUnit[], o: TableOptions): string {
  return table(unitFileFields, units, o);
}
