// `coracle node --root DIR`: the per-machine init in the foreground. It
// boots default.target, serves the control API on <root>/run/coracle/init.sock,
// and on SIGTERM/SIGINT stops every unit in reverse dependency order, then exits.
import { parseArgs } from 'node:util';
import { resolveRoot, socketPathOf } from '../init/client.js';
import { answers, ControlServer } from '../init/node/api.js';
import { InitNode } from '../init/node/runtime.js';

const USAGE = `Usage: coracle node [--root DIR]

Runs the per-machine init on a machine root: starts the units wanted by
default.target, supervises them, keeps the journal under var/log/journal and
serves the control API (coracle systemctl, coracle journalctl) on
<root>/run/coracle/init.sock. SIGTERM stops all units and exits.

Options:
  --root DIR   the machine root (default: $CORACLE_ROOT, else ~/.local/share/coracle/root)
  --quiet      do not echo the init's own log lines to stdout
  -h, --help   show this help
`;

export async function nodeCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { root: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    process.stderr.write(`coracle node: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const root = resolveRoot(values.root);
  if (await answers(socketPathOf(root))) {
    process.stderr.write(`coracle node: another init is running on ${root} (its control socket answers)\n`);
    return 1;
  }
  let node: InitNode;
  try {
    node = new InitNode(root, values.quiet ? {} : { echo: (line) => process.stdout.write(`${line}\n`) });
  } catch (e) {
    process.stderr.write(`coracle node: cannot prepare the machine root ${root}: ${(e as Error).message}\n`);
    return 1;
  }
  const server = new ControlServer(node);
  try {
    await server.listen();
  } catch (e) {
    process.stderr.write(`coracle node: cannot listen on ${node.machine.socketPath}: ${(e as Error).message}\n`);
    await node.shutdown();
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void node.shutdown().then(() => server.close()).then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    void node.boot();
  });
}
