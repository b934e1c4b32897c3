// coracle's cloud-config core: detect, validate, substitute, parse, render.
// All pure. The I/O shells are apply.ts (writing into a root), units.ts (the
// init's control socket) and machine.ts (applyConfigToMachine, which the CLI
// and the machine boot share); they are imported from their own modules.
import { detectUserData, type Detection } from './detect.js';
import { parseCloudConfig, type ParsedCloudConfig } from './parse.js';
import { renderCloudConfig, type RenderOptions, type Rendered, type RootView } from './render.js';
import { substitute, type Substitutions } from './substitute.js';

export { detectUserData, isCloudConfig, isIgnitionConfig, isScript, type Detection, type UserDataKind } from './detect.js';
export { decodeContent, type Decoded } from './encoding.js';
export { parseCloudConfig, emptyCloudConfig, type ParsedCloudConfig } from './parse.js';
export * from './schema.js';
export { substitute, substitutionsFrom, type Metadata, type Substitutions } from './substitute.js';
export {
  entryToJson,
  formatEntry,
  reportToJson,
  validateCloudConfig,
  validateExitCode,
  validateUserData,
  type EntryKind,
  type Report,
  type ReportEntry,
} from './validate.js';
export {
  DEFAULT_SSH_KEY_NAME,
  environmentFile,
  generatedUnits,
  mergeEnvironment,
  mergeUpdateConf,
  renderCloudConfig,
  serviceContents,
  type Change,
  type RenderOptions,
  type Rendered,
  type RootView,
  type UnitAction,
  type UnitCommand,
  type Note,
} from './render.js';
export { addUser, keySetContent, mergeAuthorizedKeys, setPasswordHash, type AccountFiles } from './users.js';

export interface Prepared {
  detection: Detection;
  /** Present for cloud-config user-data. */
  parsed?: ParsedCloudConfig;
  /** Present for cloud-config user-data that parsed. */
  rendered?: Rendered;
  /** Why the user-data cannot be applied, in the original's words. */
  error?: string;
}

/** The whole pure path for one piece of user-data, as coreos-cloudinit ran
 *  it: gunzip, substitute addresses into the text, parse, render against the
 *  root. Scripts and Ignition are classified and left to their own runners.
 *  Never throws. */
export function prepareUserData(input: Uint8Array | string, subs: Substitutions, root: RootView, options: RenderOptions = {}): Prepared {
  const detection = detectUserData(input);
  if (detection.kind !== 'cloud-config') {
    const error = detection.kind === 'unknown' ? 'Unrecognized user-data format' : detection.kind === 'ignition' ? 'not a config (found Ignition)' : undefined;
    return { detection, ...(error ? { error } : {}) };
  }
  const parsed = parseCloudConfig(substitute(detection.text, subs));
  if (parsed.error) return { detection, parsed, error: parsed.error };
  return { detection, parsed, rendered: renderCloudConfig(parsed, root, { substitutions: subs, ...options }) };
}
export { decodeDataUrl, parseIgnition, verifyHash, type IgnitionReport, type Json } from './ignition.js';
