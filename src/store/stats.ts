// Counters of /v2/stats/store (etcd's v2store Stats), in etcd's JSON field order.

export const statFields = [
  'getsSuccess',
  'getsFail',
  'setsSuccess',
  'setsFail',
  'deleteSuccess',
  'deleteFail',
  'updateSuccess',
  'updateFail',
  'createSuccess',
  'createFail',
  'compareAndSwapSuccess',
  'compareAndSwapFail',
  'compareAndDeleteSuccess',
  'compareAndDeleteFail',
  'expireCount',
  'watchers',
] as const;

export type StatField = (typeof statFields)[number];

export type StatsValues = Record<StatField, number>;

export function emptyStats(): StatsValues {
  const s = {} as StatsValues;
  for (const f of statFields) s[f] = 0;
  return s;
}

/** `{"getsSuccess":N,…,"watchers":N}` without a trailing newline, as etcd serves it. */
export function statsToJSON(s: StatsValues): string {
  return `{${statFields.map((f) => `"${f}":${s[f]}`).join(',')}}`;
}
