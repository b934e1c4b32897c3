// Boot-time user-data, as coreos-cloudinit ran it from user-cloudinit@.service:
// read the file from the machine root, say what the validator finds, write
// the files the config describes, then enable units and run their commands
// through the running init's control socket. Units coracle does not ship
// (systemd-networkd, coreos-setup-environment, locksmithd) load as
// not-found: they are reported and the rest of the config is applied.
import fs from 'node:fs';
import path from 'node:path';
import { socketPathOf } from '../init/client.js';
import { applyConfigToMachine, exitCodeOf } from '../cloudinit/machine.js';
import { runUnitActions } from '../cloudinit/units.js';
import { applyToRoot, rootViewOf } from '../cloudinit/apply.js';
import { detectUserData, formatEntry, prepareUserData, substitutionsFrom, validateUserData, type UnitAction } from '../cloudinit/index.js';
import { translateEtcdWrapper } from './etcd-wrapper.js';

export interface UserDataRun {
  /** Absolute machine root. */
  root: string;
  /** The user-data path inside the root (`/var/lib/coreos-install/user_data`). */
  file: string;
  /** The unit's environment: COREOS_* from etc/environment feed `$private_ipv4`. */
  env: Readonly<Record<string, string | undefined>>;
  /** One line of output (the unit's stdout goes to the journal). */
  log(line: string): void;
}

/** Applies one user-data file; resolves with the process exit status. Never throws. */
export async function applyUserData(run: UserDataRun): Promise<number> {
  const { root, log } = run;
  const full = path.join(root, run.file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(full);
  } catch (e) {
    log(`Failed to read user-data ${run.file}: ${(e as Error).message}`);
    return 1;
  }
  const detection = detectUserData(bytes);
  if (detection.problem) log(`${run.file}: ${detection.problem}`);
  switch (detection.kind) {
    case 'empty':
      log(`${run.file}: no user-data, nothing to do`);
      return 0;
    case 'ignition':
      // As coreos-cloudinit: Ignition is the first-boot tool's job, not ours.
      log('Detected an Ignition config. Exiting...');
      return 0;
    case 'unknown':
      log(`${run.file}: line 1: error: must be "#cloud-config" or begin with "#!"`);
      log('Failed to apply user-data: unrecognized user-data format');
      return 1;
    case 'script':
      return runScript(run, bytes);
    case 'cloud-config':
      break;
  }
  for (const entry of validateUserData(bytes).entries) log(`${run.file}: ${formatEntry(entry)}`);
  const subs = substitutionsFrom({}, run.env);
  const prepared = prepareUserData(bytes, subs, rootViewOf(root));
  if (prepared.error || !prepared.rendered) {
    log(`Failed to parse user-data ${run.file}: ${prepared.error ?? 'no configuration'}`);
    return 1;
  }
  const rendered = prepared.rendered;
  const written = applyToRoot(root, rendered);
  for (const c of rendered.changes) {
    if (!written.written.includes(c.path)) continue;
    if (c.kind === 'file') log(`Wrote /${c.path}`);
    else if (c.kind === 'mask') log(`Masked /${c.path}`);
  }
  for (const o of written.ownersNotSet) log(`Owner ${o.owner} of /${o.path} not set (not root, or not in the machine's etc/passwd)`);
  if (written.error) {
    log(`Failed to write ${written.error}`);
    return 1;
  }
  for (const note of translateEtcdWrapper(root)) log(note);
  if (rendered.error) log(`Failed to apply cloud-config: ${rendered.error}`);
  const failures = await runActions(run, rendered.actions);
  return rendered.error || failures > 0 ? 1 : 0;
}

/** Enables, daemon-reloads and unit commands, in order, through the init
 *  (cloudinit's runner, one action at a time). Deliberate difference from
 *  coreos-cloudinit, which stopped at the first failed command: a unit
 *  coracle does not ship is reported and the rest still runs. */
async function runActions(run: UserDataRun, actions: readonly UnitAction[]): Promise<number> {
  const socket = socketPathOf(run.root);
  let failures = 0;
  for (const a of actions) {
    const rep = await runUnitActions(socket, [a], run.log);
    if (rep.error === undefined) {
      const bad = rep.done.find((d) => d.action !== 'enable' && d.action !== 'daemon-reload' && d.result !== 'done' && d.result !== 'skipped');
      if (bad) {
        failures++;
        run.log(`${bad.unit}: ${bad.action} ended with result '${bad.result}' (journalctl -u ${bad.unit})`);
      }
      continue;
    }
    if ('unit' in a && / not found\.?$/.test(rep.error)) {
      run.log(`Unit ${a.unit} not-found: coracle does not ship it; skipped "${a.action === 'command' ? a.command : a.action}" and applied the rest`);
      continue;
    }
    failures++;
    run.log(`Failed: ${rep.error}`);
  }
  return failures;
}

/** A "#!" user-data script runs as a transient unit, through cloudinit's applier. */
async function runScript(run: UserDataRun, bytes: Uint8Array): Promise<number> {
  const r = await applyConfigToMachine({ root: run.root, config: bytes, log: run.log });
  if (r.error) run.log(`Failed to run ${run.file}: ${r.error}`);
  return exitCodeOf(r);
}
