// npm run sim -- --seeds N --from S [--nodes K]    run N seeds, report violations
// npm run sim -- --seed S [--nodes K]              replay one seed with its full trace
import { parseArgs } from 'node:util';
import { describeViolation } from './checker.js';
import type { SimOptions } from './simulation.js';
import { runSeed } from './simulation.js';

const usage = `Usage: npm run sim -- [options]

Runs whole Raft clusters in one process under a seeded random schedule of
faults (loss, delay, duplication, partitions, crashes losing unsynced writes,
membership changes, leadership transfers, snapshots) and checks Raft's safety
properties after every step and liveness once faults stop.

Options:
  --seeds N        how many seeds to run (default 100)
  --from S         first seed (default 1)
  --nodes K        cluster size: 3, 5 or 7 (default 3)
  --seed S         replay one seed and print its trace, one line per event
  --steps M        fault steps per seed (default 1200)
  --break RULE     break a Raft rule on purpose: vote (grant votes without the
                   log up-to-date check), commit (commit previous-term entries
                   by counting replicas), lease (a leader lease that never
                   expires) or durable (count a leader's entries before they
                   are on its disk); the checks should catch it
  --quiet          print only the summary line
  -h, --help       show this help

Examples:
  npm run sim -- --seeds 20000 --from 1 --nodes 5
  npm run sim -- --seed 4242 --nodes 5
  npm run sim -- --seeds 2000 --from 1 --break commit
`;

function fail(msg: string): never {
  process.stderr.write(`sim: ${msg}\n\n${usage}`);
  process.exit(2);
}

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) fail(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seeds: { type: 'string' },
        from: { type: 'string' },
        nodes: { type: 'string' },
        seed: { type: 'string' },
        steps: { type: 'string' },
        break: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const nodes = int('nodes', values.nodes, 3);
  if (nodes < 1 || nodes > 9) fail('--nodes must be between 1 and 9');
  const faultSteps = int('steps', values.steps, 1200);
  const breakRule = values.break;
  if (breakRule !== undefined && breakRule !== 'vote' && breakRule !== 'commit' && breakRule !== 'lease' && breakRule !== 'durable') {
    fail(`--break takes vote, commit, lease or durable, got '${breakRule}'`);
  }
  const base: Omit<SimOptions, 'seed'> = { nodes, faultSteps, ...(breakRule ? { breakRule } : {}) };

  if (values.seed !== undefined) {
    const seed = int('seed', values.seed, 0);
    const r = runSeed({ ...base, seed, trace: (line) => process.stdout.write(`${line}\n`) });
    for (const v of r.violations) process.stdout.write(`VIOLATION seed ${seed}: ${describeViolation(v)}\n`);
    process.stdout.write(`1 seeds, ${r.violations.length} violations\n`);
    return r.violations.length > 0 ? 1 : 0;
  }

  const count = int('seeds', values.seeds, 100);
  const from = int('from', values.from, 1);
  let violations = 0;
  let committed = 0;
  const started = process.hrtime.bigint();
  const showProgress = !values.quiet && process.stderr.isTTY;
  for (let seed = from; seed < from + count; seed++) {
    const r = runSeed({ ...base, seed });
    committed += r.stats.committed;
    if (r.violations.length > 0) {
      violations += r.violations.length;
      process.stdout.write(`\nVIOLATION seed ${seed} (${nodes} nodes): ${describeViolation(r.violations[0]!)}\n`);
      process.stdout.write(`  faults: ${r.profile}\n  trace (last 60 events; replay all with: npm run sim -- --seed ${seed} --nodes ${nodes}${breakRule ? ` --break ${breakRule}` : ''}):\n`);
      const lines: string[] = [];
      runSeed({ ...base, seed, trace: (l) => lines.push(l) });
      for (const l of lines.slice(-60)) process.stdout.write(`    ${l}\n`);
    }
    if (showProgress && (seed - from) % 100 === 99) {
      process.stderr.write(`\r${seed - from + 1}/${count} seeds, ${violations} violations`);
    }
  }
  if (showProgress) process.stderr.write('\r\x1b[K');
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (!values.quiet) process.stdout.write(`(${nodes} nodes, seeds ${from}..${from + count - 1}, ${committed} entries committed, ${secs.toFixed(1)} s)\n`);
  process.stdout.write(`${count} seeds, ${violations} violations\n`);
  return violations > 0 ? 1 : 0;
}

process.exitCode = main();
