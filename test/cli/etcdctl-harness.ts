// Runs one etcdctl (the real /usr/bin/etcdctl or ours) through a script of
// steps against an etcd and records what a user sees: stdout, stderr, exit
// code. Background steps (watch, exec-watch) start the command, wait until
// its watch is registered on the server (store stats "watchers"), perform
// the steps that trigger it, and end it with Ctrl-C when told.

import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const OURS = fileURLToPath(new URL('../../../bin/etcdctl.js', import.meta.url));

export type Captured = Map<string, string>;
type Args = readonly string[] | ((c: Captured) => readonly string[]);

export interface RunStep {
  kind?: 'run';
  args: Args;
  stdin?: string;
  env?: Record<string, string>;
  /** Map-ordered output (ls without --sort, member lists): compared as sorted lines. */
  sortLines?: boolean;
  /** Remember a stdout match (group 1) under a name for later steps. */
  capture?: { name: string; re: RegExp };
}

export interface BackgroundStep {
  kind: 'background';
  args: Args;
  /** Watchers the command registers on the server before `then` runs. */
  watchers: number;
  then: readonly Step[];
  /** Waits until stdout contains all of these (then Ctrl-C if still running). */
  until: readonly string[];
  /** Waits until stderr contains these too. */
  untilErr?: readonly string[];
}

/** Waits for text on the current background command's stdout. */
export interface WaitStep {
  kind: 'wait';
  stdout: string;
}

/** Any other action (start a member, write many keys); not recorded. */
export interface DoStep {
  kind: 'do';
  fn: (c: Captured) => Promise<void>;
}

export type Step = RunStep | BackgroundStep | WaitStep | DoStep;

export interface Transcript {
  args: string;
  stdout: string;
  stderr: string;
  code: number | null;
  /** Compare stdout as sorted lines (map-ordered output). */
  sortLines?: boolean;
}

export interface Tool {
  name: 'real' | 'ours';
  argv0: string[];
}

export const realTool: Tool = { name: 'real', argv0: ['/usr/bin/etcdctl'] };
export const ourTool: Tool = { name: 'ours', argv0: [process.execPath, OURS] };

function envFor(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '2', ...extra };
}

function runOnce(tool: Tool, args: readonly string[], stdin: string | undefined, env: Record<string, string> | undefined): Promise<Transcript> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = tool.argv0;
    const child = spawn(cmd!, [...pre, ...args], { env: envFor(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args: args.join(' '), stdout, stderr, code });
    });
    child.stdin.end(stdin ?? '');
  });
}

export function storeWatchers(clientURL: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(`${clientURL}/v2/stats/store`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(Number((JSON.parse(body) as { watchers?: number }).watchers ?? 0));
          } catch {
            resolve(-1);
          }
        });
      })
      .on('error', () => resolve(-1));
  });
}

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string | (() => string), ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the script; every etcdctl invocation gets `prefix` (the global flags) first. */
export async function runScript(tool: Tool, clientURL: string, prefix: readonly string[], steps: readonly Step[]): Promise<Transcript[]> {
  const out: Transcript[] = [];
  const captured: Captured = new Map();
  let current: { stdout: () => string } | undefined;
  const exec = async (steps: readonly Step[]): Promise<void> => {
    for (const step of steps) {
      if (step.kind === 'do') {
        await step.fn(captured);
        continue;
      }
      if (step.kind === 'wait') {
        const bg = current;
        if (bg === undefined) throw new Error('wait step outside a background step');
        await waitUntil(() => bg.stdout().includes(step.stdout), `"${step.stdout}" from ${tool.name}`);
        continue;
      }
      const args = [...prefix, ...(typeof step.args === 'function' ? step.args(captured) : step.args)];
      if (step.kind === 'background') {
        // Earlier watchers must be gone, or they would be counted as this one's.
        await waitUntil(async () => (await storeWatchers(clientURL)) === 0, 'earlier watchers to end');
        const before = 0;
        const [cmd, ...pre] = tool.argv0;
        const child = spawn(cmd!, [...pre, ...args], { env: envFor(undefined), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        let code: number | null | undefined;
        const closed = new Promise<void>((resolve) => child.on('close', (c) => ((code = c), resolve())));
        await waitUntil(async () => code !== undefined || (await storeWatchers(clientURL)) >= before + step.watchers, `${tool.name} ${args.join(' ')} to watch`);
        const saved = current;
        current = { stdout: () => stdout };
        await exec(step.then);
        current = saved;
        await waitUntil(
          () => code !== undefined || (step.until.every((t) => stdout.includes(t)) && (step.untilErr ?? []).every((t) => stderr.includes(t))),
          () => `${tool.name} ${args.join(' ')} output; it printed ${JSON.stringify(stdout)} and ${JSON.stringify(stderr)}`,
        );
        if (code === undefined) child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await closed;
        clearTimeout(timer);
        out.push({ args: args.join(' '), stdout, stderr, code: code ?? null });
        continue;
      }
      const r = await runOnce(tool, args, step.stdin, step.env);
      if (step.sortLines === true) r.sortLines = true;
      if (step.capture !== undefined) {
        const m = step.capture.re.exec(r.stdout);
        if (m?.[1] !== undefined) captured.set(step.capture.name, m[1]);
      }
      out.push(r);
    }
  };
  await exec(steps);
  return out;
}

/**
 * The fixed list of what may differ between the two tools' transcripts:
 * - expiration timestamps (wall clock),
 * - IDs of members added at run time (etcd mixes the clock into them),
 * - the VERSION line of the top-level help (ours must not claim 3.4.23),
 * - the user/role/auth lines of the top-level help (coracle has no v2 auth),
 * - the order of the entries of ETCD_INITIAL_CLUSTER (etcd lists members by
 *   ID, and an added member's ID is random),
 * - the seconds left on a TTL, to the nearest 5 (they count down between runs).
 */
export function normalize(r: Transcript, stableIds: readonly string[]): Transcript {
  const fix = (s: string): string => {
    let t = s.replace(/"expiration":"[^"]*"/g, '"expiration":"<time>"');
    // The seconds left on a TTL depend on how long after the set this step
    // ran (both tools run at different moments, slower under load): compared
    // to the nearest 5 s, so 29 and 30 agree and 20 does not.
    const roughly = (n: string) => String(Math.round(Number(n) / 5) * 5);
    t = t.replace(/"ttl":(\d+)/g, (_, n: string) => `"ttl":~${roughly(n)}`);
    t = t.replace(/^TTL: (\d+)$/gm, (_, n: string) => `TTL: ~${roughly(n)}`);
    t = t.replace(/\b[0-9a-f]{12,16}\b/g, (id) => (stableIds.includes(id) ? id : '<added-member-id>'));
    t = t.replace(/(VERSION:\n {3})[^\n]*\n/, '$1<version>\n');
    t = t.replace(/^ {3}(user|role|auth) {2,}[^\n]*\n/gm, '');
    t = t.replace(/^ETCD_INITIAL_CLUSTER="([^"]*)"$/m, (_, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`);
    return t;
  };
  let stdout = fix(r.stdout);
  if (r.sortLines === true) stdout = stdout.split('\n').filter((l) => l !== '').sort().join('\n');
  return { args: fix(r.args), stdout, stderr: fix(r.stderr), code: r.code };
}
