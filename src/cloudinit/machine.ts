// Applying user-data to a machine: the I/O shell coracle's CLI and the
// machine boot share. Cloud-config is rendered (render.ts), written into the
// root (apply.ts), and its unit actions go to the running init (units.ts);
// a "#!" script runs as a transient oneshot unit; an Ignition config is
// applied once, on the machine's first boot.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { socketPathOf } from '../init/client.js';
import { applyToRoot, rootViewOf, type ApplyResult } from './apply.js';
import { detectUserData, type UserDataKind } from './detect.js';
import { parseIgnition, type Json } from './ignition.js';
import { configRefsOf, mergeConfigs, planIgnition, resolveResource, resourcesOf, type Fetcher, type IgnitionRootView, type Resource } from './ignition-apply.js';
import { parseCloudConfig } from './parse.js';
import { renderCloudConfig, type Change, type UnitAction } from './render.js';
import { substitute, substitutionsFrom, type Metadata } from './substitute.js';
import { enableOffline, initAnswers, runUnitActions, runUnitActionsOffline, type ActionOutcome } from './units.js';
import { planDisable } from '../init/install.js';
import { readUnitView } from '../init/node/view.js';
import { InitClient, unitPath } from '../init/client.js';

/** Where a machine root keeps its first-boot flag, as Container Linux kept
 *  /boot/coreos/first_boot (the kernel's coreos.first_boot=1 for PXE). */
export const FIRST_BOOT_MARKER = 'boot/coreos/first_boot';

export interface MachineMetadata extends Metadata {
  /** The datasource's hostname, used when the config sets none. */
  hostname?: string;
  /** The datasource's SSH keys, added for the core user. */
  sshKeys?: string[];
}

export interface ApplyConfigOptions {
  /** The machine root. */
  root: string;
  /** The user-data bytes (gzip, cloud-config, script or Ignition). */
  config: Uint8Array | string;
  metadata?: MachineMetadata;
  /** The init's control socket; default <root>/run/coracle/init.sock.
   *  null: do not use an init (enables become links, commands are not run). */
  initSocket?: string | null;
  /** The key set name in authorized_keys.d (default coreos-cloudinit). */
  sshKeyName?: string;
  /** Root-relative workspace for scripts (default var/lib/coreos-cloudinit). */
  workspace?: string;
  /** Progress lines as the original logged them. */
  log?: (line: string) => void;
  /** Source address for http(s) fetches of Ignition contents. */
  localAddress?: string;
  /** Apply an Ignition config even without the first-boot marker. */
  forceFirstBoot?: boolean;
}

export interface MachineReport {
  kind: UserDataKind;
  /** Root-relative paths written, in order. */
  written: string[];
  /** Unit actions carried out, in order. */
  actions: ActionOutcome[];
  /** Unit actions that were not run because no init answered. */
  notRun: string[];
  /** Warnings (Ignition unused keys, owners not set). */
  warnings: string[];
  /** What stopped the apply, as the original worded it. */
  error?: string;
  /** Malformed or unreadable user-data: the original's "failure" that
   *  -ignore-failure forgives. */
  malformed?: string;
  /** For a script: the transient unit it ran as. */
  scriptUnit?: string;
  /** For Ignition: false when it did not run because this is not a first boot. */
  firstBoot?: boolean;
}

/** The exit status coreos-cloudinit gave for this report. */
export function exitCodeOf(r: MachineReport, opts: { ignoreFailure?: boolean; offline?: boolean } = {}): number {
  if (r.error !== undefined) return 1;
  if (r.notRun.length > 0 && !opts.offline) return 1;
  if (r.malformed !== undefined && !opts.ignoreFailure) return 1;
  return 0;
}

/** COREOS_* values from the root's etc/environment (the units' EnvironmentFile). */
export function machineEnvironment(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  let text = '';
  try {
    text = fs.readFileSync(path.join(root, 'etc/environment'), 'utf8');
  } catch {
    return env;
  }
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** Marks the root for a first boot: Ignition applies once, then removes it. */
export function markFirstBoot(root: string): void {
  const p = path.join(root, FIRST_BOOT_MARKER);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
}

export function isFirstBoot(root: string): boolean {
  return fs.existsSync(path.join(root, FIRST_BOOT_MARKER));
}

function emptyReport(kind: UserDataKind): MachineReport {
  return { kind, written: [], actions: [], notRun: [], warnings: [] };
}

function noteOwners(res: ApplyResult, r: MachineReport, log: (l: string) => void): void {
  for (const o of res.ownersNotSet) {
    const w = `owner ${o.owner} not set on /${o.path} (needs root and the user in the root's etc/passwd)`;
    r.warnings.push(w);
    log(`warning: ${w}`);
  }
}

/** Writes changes, printing each note once the changes before it are written. */
function writeChanges(root: string, changes: Change[], notes: { at: number; message: string }[], log: (l: string) => void, r: MachineReport): boolean {
  let start = 0;
  const points = [...new Set([...notes.map((n) => n.at), changes.length])].sort((a, b) => a - b);
  for (const at of points) {
    if (at > start) {
      const res = applyToRoot(root, { changes: changes.slice(start, at) });
      r.written.push(...res.written);
      noteOwners(res, r, log);
      if (res.error) {
        r.error = res.error;
        return false;
      }
      start = at;
    }
    for (const n of notes) if (n.at === at) log(n.message);
  }
  return true;
}

async function carryOut(root: string, socket: string | null, actions: UnitAction[], log: (l: string) => void, r: MachineReport): Promise<void> {
  if (actions.length === 0) return;
  const live = socket !== null && (await initAnswers(socket));
  const rep = live ? await runUnitActions(socket, actions, log) : runUnitActionsOffline(root, actions, log);
  r.actions.push(...rep.done);
  r.notRun.push(...rep.notRun);
  if (rep.error) r.error = rep.error;
}

/** Applies user-data to a machine root. Never throws. */
export async function applyConfigToMachine(o: ApplyConfigOptions): Promise<MachineReport> {
  const log = o.log ?? (() => {});
  const root = path.resolve(o.root);
  const socket = o.initSocket === undefined ? socketPathOf(root) : o.initSocket;
  const d = detectUserData(o.config);
  const r = emptyReport(d.kind);
  if (d.problem) {
    log(`${d.problem}. Continuing...`);
    r.malformed = d.problem;
  }
  try {
    switch (d.kind) {
      case 'ignition':
        return await applyIgnitionConfig(root, d.text, o, socket, r);
      case 'script':
        log('Parsing user-data as script');
        await runScript(root, d.text, o, socket, r);
        return r;
      case 'unknown':
        log('Failed to parse user-data: Unrecognized user-data format\nContinuing...');
        r.malformed = 'Unrecognized user-data format';
        break;
      case 'empty':
      case 'cloud-config':
        break;
    }
    const md = o.metadata ?? {};
    const subs = substitutionsFrom(md, machineEnvironment(root));
    let parsed = parseCloudConfig('#cloud-config\n');
    if (d.kind === 'cloud-config') {
      log('Parsing user-data as cloud-config');
      parsed = parseCloudConfig(substitute(d.text, subs));
      if (parsed.error) {
        log(`Failed to parse user-data: ${parsed.error}\nContinuing...`);
        r.malformed = parsed.error;
        parsed = parseCloudConfig('#cloud-config\n');
      }
    }
    log('Merging cloud-config from meta-data and user-data');
    if (md.hostname && parsed.config.hostname !== '' && parsed.config.hostname !== md.hostname) {
      log(`Warning: user-data hostname (${parsed.config.hostname}) overrides metadata hostname (${md.hostname})`);
    }
    const rendered = renderCloudConfig(parsed, rootViewOf(root), {
      substitutions: subs,
      ...(o.sshKeyName ? { sshKeyName: o.sshKeyName } : {}),
      ...(md.hostname ? { metadataHostname: md.hostname } : {}),
      ...(md.sshKeys ? { metadataSshKeys: md.sshKeys } : {}),
      today: Math.floor(Date.now() / 86_400_000),
    });
    if (!writeChanges(root, rendered.changes, rendered.notes ?? [], log, r)) return r;
    await carryOut(root, socket, rendered.actions, log, r);
    if (rendered.error && r.error === undefined) r.error = rendered.error;
  } catch (e) {
    r.error = e instanceof Error ? e.message : String(e);
  }
  return r;
}

/** A "#!" script: kept in the workspace, run as coreos-cloudinit-<name>.service. */
async function runScript(root: string, text: string, o: ApplyConfigOptions, socket: string | null, r: MachineReport): Promise<void> {
  const log = o.log ?? (() => {});
  const workspace = path.join(root, o.workspace ?? 'var/lib/coreos-cloudinit');
  const scripts = path.join(workspace, 'scripts');
  fs.mkdirSync(scripts, { recursive: true, mode: 0o755 });
  const base = `${process.hrtime.bigint()}`;
  const file = path.join(scripts, base);
  fs.writeFileSync(file, text, { mode: 0o744 });
  fs.chmodSync(file, 0o744);
  r.written.push(path.relative(root, file));
  const name = `coreos-cloudinit-${base}.service`;
  r.scriptUnit = name;
  fs.writeFileSync(path.join(workspace, 'unit-name'), name);
  log(`Creating transient systemd unit '${name}'`);
  if (socket === null || !(await initAnswers(socket))) {
    r.notRun.push(`run ${name} (/bin/bash ${file})`);
    return;
  }
  const res = await new InitClient(socket).request<{ result?: string; message?: string }>('POST', '/v1/transient', {
    name,
    type: 'oneshot',
    description: 'Unit generated and executed by coreos-cloudinit on behalf of user',
    command: ['/bin/bash', file],
  });
  if (res.status !== 200) {
    r.error = `Failed to run script: ${res.body.message ?? `HTTP ${res.status}`}`;
    return;
  }
  r.actions.push({ action: 'start', unit: name, result: res.body.result ?? 'done' });
}

// ---------------------------------------------------------------------------
// Ignition.

/** GET over http(s), following redirects, bound to localAddress if given. */
export function httpFetcher(localAddress?: string, timeoutMs = 10_000): Fetcher {
  const get = (url: string, hops: number): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; error: string }> =>
    new Promise((resolve) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        resolve({ ok: false, error: `invalid URL ${JSON.stringify(url)}` });
        return;
      }
      const mod = u.protocol === 'https:' ? https : http;
      const req = mod.get(u, { timeout: timeoutMs, ...(localAddress ? { localAddress } : {}), headers: { accept: '*/*' } }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location && hops < 5) {
          res.resume();
          resolve(get(new URL(res.headers.location, u).toString(), hops + 1));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(status === 200 ? { ok: true, bytes: new Uint8Array(Buffer.concat(chunks)) } : { ok: false, error: `GET ${url}: HTTP ${status}` }));
        res.on('error', (e) => resolve({ ok: false, error: `GET ${url}: ${e.message}` }));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => resolve({ ok: false, error: `GET ${url}: ${e.message}` }));
    });
  return (url) => get(url, 0);
}

function ignitionView(root: string): IgnitionRootView {
  const base = rootViewOf(root);
  return {
    ...base,
    kind(p) {
      try {
        const st = fs.lstatSync(path.join(root, p));
        return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      } catch {
        return undefined;
      }
    },
    linkTarget(p) {
      try {
        return fs.readlinkSync(path.join(root, p));
      } catch {
        return undefined;
      }
    },
  };
}

type IgnObj = { [k: string]: Json };

/** Follows ignition.config.replace / append / merge (at most 5 deep). */
async function resolveConfigs(cfg: IgnObj, spec: 2 | 3, fetcher: Fetcher, oem: (p: string) => Uint8Array | undefined, depth: number): Promise<{ config: IgnObj; spec: 2 | 3 } | { error: string }> {
  const refs = configRefsOf(cfg, spec);
  if (!refs.replace && refs.children.length === 0) return { config: cfg, spec };
  if (depth >= 5) return { error: 'ignition.config: configs reference each other more than 5 deep' };
  const load = async (ref: Resource): Promise<{ config: IgnObj; spec: 2 | 3 } | { error: string }> => {
    const got = await resolveResource(ref, fetcher, oem);
    if (!got.ok) return { error: got.error };
    const child = parseIgnition(Buffer.from(got.bytes).toString('utf8'));
    if (!child.config || !child.spec) return { error: `${ref.path}: ${child.errors.join('; ')}` };
    if (child.spec !== spec) return { error: `${ref.path}: a ${spec}.x config cannot use a ${child.version} config` };
    return resolveConfigs(child.config, child.spec, fetcher, oem, depth + 1);
  };
  if (refs.replace) return load(refs.replace);
  let merged = cfg;
  for (const ref of refs.children) {
    const child = await load(ref);
    if ('error' in child) return child;
    merged = mergeConfigs(merged, child.config, spec);
  }
  return { config: merged, spec };
}

async function applyIgnitionConfig(root: string, text: string, o: ApplyConfigOptions, socket: string | null, r: MachineReport): Promise<MachineReport> {
  const log = o.log ?? (() => {});
  log('Detected an Ignition config.');
  if (!o.forceFirstBoot && !isFirstBoot(root)) {
    r.firstBoot = false;
    log(`Not the first boot (no ${path.join(root, FIRST_BOOT_MARKER)}): Ignition runs only on a machine's first boot. Nothing to do.`);
    return r;
  }
  r.firstBoot = true;
  const parsed = parseIgnition(text);
  r.warnings.push(...parsed.warnings);
  for (const w of parsed.warnings) log(`warning: ${w}`);
  if (!parsed.config || !parsed.spec) {
    r.error = `Ignition config is not valid: ${parsed.errors.join('; ')}`;
    return r;
  }
  log(`Applying Ignition config version ${parsed.version}`);
  const fetcher = httpFetcher(o.localAddress);
  const oem = (p: string): Uint8Array | undefined => {
    try {
      return new Uint8Array(fs.readFileSync(path.join(root, 'usr/share/oem', p)));
    } catch {
      return undefined;
    }
  };
  // ignition.config: a replacement, or children merged over this config.
  const resolved = await resolveConfigs(parsed.config, parsed.spec, fetcher, oem, 0);
  if ('error' in resolved) {
    r.error = `Ignition failed: ${resolved.error}`;
    return r;
  }
  parsed.config = resolved.config;
  parsed.spec = resolved.spec;
  const contents = new Map<string, Uint8Array>();
  const errors: string[] = [];
  for (const res of resourcesOf(parsed.config, parsed.spec)) {
    const got = await resolveResource(res, fetcher, oem);
    if (got.ok) contents.set(res.path, got.bytes);
    else errors.push(got.error);
  }
  if (errors.length > 0) {
    // Ignition writes nothing when a resource cannot be had or verified.
    r.error = `Ignition failed: ${errors.join('; ')}`;
    return r;
  }
  const plan = planIgnition(parsed.config, parsed.spec, contents, ignitionView(root), {
    ...(o.sshKeyName ? { sshKeyName: o.sshKeyName } : {}),
    today: Math.floor(Date.now() / 86_400_000),
  });
  if (plan.errors.length > 0) {
    r.error = `Ignition failed: ${plan.errors.join('; ')}`;
    return r;
  }
  const res = applyToRoot(root, { changes: plan.changes });
  r.written.push(...res.written);
  noteOwners(res, r, log);
  for (const n of plan.notes) log(n);
  if (res.error) {
    r.error = `Ignition failed: ${res.error}`;
    return r;
  }
  // Enabling: through the init when one runs, else as links on disk (what
  // systemctl --root would do before the first boot starts default.target).
  // A unit the root does not have stays in the preset only, as on Container
  // Linux, where a preset for a missing unit did nothing.
  const live = socket !== null && (await initAnswers(socket));
  for (const a of plan.actions) {
    if (a.action !== 'enable' && a.action !== 'disable') continue;
    let problem: string | undefined;
    if (live) {
      const resp = await new InitClient(socket).request<{ message?: string }>('POST', unitPath(a.unit, a.action));
      if (resp.status !== 200) problem = resp.body.message ?? `HTTP ${resp.status}`;
    } else if (a.action === 'enable') {
      const e = enableOffline(root, a.unit, false);
      if (!e.ok) problem = e.error;
    } else {
      const p = planDisable(readUnitView(root), { machineId: '', bootId: '', hostname: '', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh' }, a.unit);
      if (p.ok) for (const c of p.changes) if (c.type === 'unlink') fs.rmSync(c.path, { force: true });
    }
    if (problem !== undefined) {
      const w = `systemd.units: ${a.action} ${a.unit}: ${problem}`;
      r.warnings.push(w);
      log(`warning: ${w}`);
      continue;
    }
    log(`${a.action === 'enable' ? 'enabled' : 'disabled'} unit ${a.unit}`);
    r.actions.push({ action: a.action, unit: a.unit, result: a.action === 'enable' ? 'enabled' : 'disabled' });
  }
  if (live && plan.changes.some((c) => c.path.startsWith('etc/systemd/'))) {
    await new InitClient(socket).request('POST', '/v1/daemon-reload');
    r.actions.push({ action: 'daemon-reload', result: 'done' });
  }
  fs.rmSync(path.join(root, FIRST_BOOT_MARKER), { force: true });
  log(`Ignition finished; removed the first-boot marker ${FIRST_BOOT_MARKER}`);
  return r;
}
