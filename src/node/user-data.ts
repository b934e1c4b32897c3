// Boot-time user-data, as coreos-cloudinit ran it from user-cloudinit@.service:
// read the file from the machine root, say what the validator finds, write
// the files the config describes, then enable units and run their commands
// through the running init's control socket. Units coracle does not ship
// (systemd-networkd, coreos-setup-environment, locksmithd) load as
// not-found: they are reported and the rest of the config is applied.
import fs from 'node:fs';
import path from 'node:path';
import { InitClient, unitPath } from '../init/client.js';
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

interface ApiError {
  error?: string;
  message?: string;
  result?: string;
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
      return runScript(run, detection.text);
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
  for (const w of written.written) log(`Wrote /${w}`);
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

/** Enables, daemon-reloads and unit commands, in order; counts the failures. */
async function runActions(run: UserDataRun, actions: readonly UnitAction[]): Promise<number> {
  const init = InitClient.forRoot(run.root);
  let failures = 0;
  for (const a of actions) {
    try {
      if (a.action === 'daemon-reload') {
        await init.request('POST', '/v1/daemon-reload');
        continue;
      }
      const verb = a.action === 'enable' ? 'enable' : a.command;
      const query = a.action === 'enable' && a.runtime ? '?runtime=1' : '';
      const r = await init.request<ApiError>('POST', `${unitPath(a.unit, verb)}${query}`);
      if (r.status === 404 || r.body.error === 'not-found') {
        // The original called systemd over D-Bus and logged the failure; we do the same and go on.
        log404(run, a.unit, verb);
        continue;
      }
      if (r.status >= 400) {
        failures++;
        run.log(`Failed to ${verb} ${a.unit}: ${r.body.message ?? r.body.error ?? `HTTP ${r.status}`}`);
        continue;
      }
      if (a.action === 'command') {
        const result = r.body.result ?? 'done';
        if (result === 'done') run.log(`Result of "${verb} ${a.unit}": done`);
        else {
          failures++;
          run.log(`Result of "${verb} ${a.unit}": ${result} (see journalctl -u ${a.unit})`);
        }
      } else run.log(`Enabled ${a.unit}${a.runtime ? ' (runtime)' : ''}`);
    } catch (e) {
      failures++;
      run.log(`Failed to ${a.action === 'command' ? a.command : a.action} ${'unit' in a ? a.unit : ''}: ${(e as Error).message}`);
    }
  }
  return failures;
}

function log404(run: UserDataRun, unit: string, verb: string): void {
  run.log(`Unit ${unit} not-found: coracle does not ship it; skipped "${verb}" and applied the rest`);
}

/** A "#!" user-data script runs as a transient unit, as coreos-cloudinit ran it. */
async function runScript(run: UserDataRun, text: string): Promise<number> {
  const dir = path.join(run.root, 'var/lib/coreos-cloudinit');
  const base = path.basename(run.file).replace(/[^A-Za-z0-9_.-]/g, '_');
  const script = path.join(dir, base);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(script, text, { mode: 0o755 });
  const name = `coreos-cloudinit-${base}.service`;
  try {
    const r = await InitClient.forRoot(run.root).request<ApiError & { result?: string }>('POST', '/v1/transient', {
      name, command: ['/bin/bash', script], type: 'oneshot', description: `user-data script ${run.file}`,
    });
    if (r.status >= 400) {
      run.log(`Failed to run ${run.file} as ${name}: ${r.body.message ?? r.body.error}`);
      return 1;
    }
    run.log(`Ran ${run.file} as ${name}: ${r.body.result}`);
    return r.body.result === 'done' ? 0 : 1;
  } catch (e) {
    run.log(`Failed to run ${run.file}: ${(e as Error).message}`);
    return 1;
  }
}
