// Public API of the unit-file module: pure functions over text and data.
export { formatDiagnostic, type Diagnostic, type Severity } from './diagnostics.js';
export { parseUnitFile, assignmentsOf, sectionNames, syntaxDiagnostics, type Assignment, type Section, type UnitFile } from './syntax.js';
export { extractWord, splitWords, cunescapeOne, type ExtractFlags, type ExtractResult } from './words.js';
export { parseExecLine, expandExecArgv, expandEnvInWord, isValidEnvName, type ExecCommand, type ExecLineResult } from './exec.js';
export {
  UNIT_TYPES, parseUnitName, isValidUnitName, isUnitType, templateOf, instantiate, nameWithoutSuffix,
  escapeUnitNamePart, unescapeUnitNamePart, escapeUnitPath, unescapeUnitPath, unitNameFromPath,
  type UnitName, type UnitNameKind, type UnitType,
} from './names.js';
export {
  specifierExpander, expandSpecifiers, escapeSpecifiers,
  type SpecifierContext, type SpecifierUnit, type SpecifierExpander, type Expanded,
} from './specifiers.js';
export { parseTimespan, parseBoolean, formatTimespan, USEC_PER_SEC } from './timespan.js';
export { parseCalendar, formatCalendar, normalizeCalendar, nextElapse, type CalendarSpec, type CalendarComponent } from './calendar.js';
export { parseEnvironmentFile, type EnvironmentFileResult } from './envfile.js';
export { parseSignal, parseExitStatus, parseSocketAddress, parseMode, SIGNALS, EXIT_STATUS_NAMES, type SocketAddress } from './values.js';
export * from './settings.js';
export {
  loadUnit, findDropIns, dropInDirNames, standardSearchPath, withLinkedUnit, childrenOf,
  type UnitView, type ViewEntry, type LoadState, type LoadedUnit,
} from './resolve.js';
export {
  serializeSections, serializeUnitFile, serializeOptions, unitOptions, sectionsFromOptions,
  type UnitOption, type SerializableSection,
} from './serialize.js';
