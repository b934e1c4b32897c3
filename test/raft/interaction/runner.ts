// Runs a transcript: every command of the script against a fresh
// InteractionEnv, its output compared with the expected text. With rewrite
// set (REWRITE=1 in the test), the file is regenerated from what the
// commands printed instead, like etcd's datadriven -rewrite; every rewritten
// output still has to be read and checked by hand before it is committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { InteractionEnv } from './env.js';
import { formatScript, parseCommand, parseScript } from './script.js';

export interface Mismatch {
  line: number;
  command: string;
  expected: string;
  actual: string;
}

/** Run script text; returns the regenerated text and every block whose output differed. */
export function runScriptText(text: string, name: string): { rewritten: string; mismatches: Mismatch[] } {
  const script = parseScript(text, name);
  const env = new InteractionEnv();
  const outputs: string[] = [];
  const mismatches: Mismatch[] = [];
  for (const b of script.blocks) {
    // Every block says what it shows, so a reader can check the output.
    if (!b.preamble.some((l) => l.startsWith('#'))) throw new Error(`${name}:${b.line}: '${b.command}' has no comment above it`);
    const actual = env.handle(parseCommand(b.command));
    outputs.push(actual);
    if (actual !== b.expected) mismatches.push({ line: b.line, command: b.command, expected: b.expected, actual });
  }
  return { rewritten: formatScript(script, outputs), mismatches };
}

/** Run a script file; with rewrite, write the actual outputs back into it. */
export function runScriptFile(path: URL, rewrite: boolean): Mismatch[] {
  const text = readFileSync(path, 'utf8');
  const { rewritten, mismatches } = runScriptText(text, path.pathname);
  if (rewrite) {
    if (rewritten !== text) writeFileSync(path, rewritten);
    return [];
  }
  return mismatches;
}

/** A readable line diff of one block, for the failure message. */
export function describeMismatch(file: string, m: Mismatch): string {
  const exp = m.expected.split('\n');
  const act = m.actual.split('\n');
  const out = [`${file}:${m.line}: ${m.command}: output differs (- expected, + actual)`];
  const n = Math.max(exp.length, act.length);
  for (let i = 0; i < n; i++) {
    const e = exp[i];
    const a = act[i];
    if (e === a) out.push(`  ${e}`);
    else {
      if (e !== undefined) out.push(`- ${e}`);
      if (a !== undefined) out.push(`+ ${a}`);
    }
  }
  return out.join('\n');
}
