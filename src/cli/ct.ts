// `coracle ct`: the Container Linux Config transpiler's command line.
// Argument handling and output only; the work is in src/ct/.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from './io.js';
import { formatReport, isFatal, marshal, transpile } from '../ct/transpile.js';
import { PLATFORMS } from '../ct/options.js';

const USAGE = `Usage: coracle ct [--in-file F] [--out-file F] [--pretty] [--strict] [--platform P] [--files-dir D]

Transpiles a Container Linux Config (YAML) into an Ignition 2.3.0 config, as
CoreOS's ct did: storage, systemd, networkd, passwd, and the etcd:, flannel:,
docker:, update: and locksmith: sections turned into units and files.
Reads standard input and writes standard output unless told otherwise.
Problems go to standard error as "error at line L, column C" + message.

Options:
  --in-file F      the Container Linux Config (default: standard input)
  --out-file F     where to write the Ignition config (default: standard output)
  --pretty         indent the Ignition config
  --strict         fail on warnings too
  --platform P     dynamic data ({PRIVATE_IPV4}, {HOSTNAME}, …) for P: ${PLATFORMS.join(', ')}
  --files-dir D    directory that storage.files[].contents.local paths are read from
  --version        print the version
  -h, --help       show this help

Exit status: 0 transpiled; 1 errors (or warnings with --strict); 2 usage.

Examples:
  coracle ct --in-file swarm.yml --pretty
  coracle ct --platform ec2 < etcd.yml > etcd.ign
  coracle ct --in-file config.yml --out-file config.ign --strict
`;

function stderr(text: string): void {
  process.stderr.write(`${text.replace(/\n$/, '')}\n`);
}

export async function ctCommand(argv: string[]): Promise<number> {
  // Go's flag package takes -name as well as --name.
  const args = argv.map((a) => (/^-[a-z][a-z-]+(=.*)?$/.test(a) && a !== '-h' ? `-${a}` : a));
  const parsed = parseCommandLine('ct', USAGE, {
    args,
    options: {
      'in-file': { type: 'string' },
      'out-file': { type: 'string' },
      pretty: { type: 'boolean' },
      strict: { type: 'boolean' },
      platform: { type: 'string' },
      'files-dir': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.version) {
    const { packageVersion } = await import('./coracle.js');
    process.stdout.write(`ct (coracle ${packageVersion()})\n`);
    return 0;
  }
  let input: Buffer;
  try {
    input = values['in-file'] ? fs.readFileSync(values['in-file']) : fs.readFileSync(0);
  } catch (e) {
    stderr(`Failed to open: ${(e as Error).message}`);
    return 1;
  }
  const filesDir = values['files-dir'];
  const result = transpile(input.toString('utf8'), {
    ...(values.platform !== undefined ? { platform: values.platform } : {}),
    ...(filesDir ? { filesDir, readLocal: (p: string) => new Uint8Array(fs.readFileSync(path.resolve(p))) } : {}),
  });
  if (result.parseReport.length > 0) stderr(formatReport(result.parseReport));
  if (isFatal(result.parseReport) || (values.strict && result.parseReport.length > 0)) {
    stderr('Failed to parse config');
    return 1;
  }
  if (result.convertReport.length > 0) {
    stderr(formatReport(result.convertReport));
    if (isFatal(result.convertReport) || values.strict) return 1;
  }
  if (!result.config) return 1;
  const out = marshal(result.config, values.pretty === true);
  try {
    if (values['out-file']) fs.writeFileSync(values['out-file'], out);
    else process.stdout.write(out);
  } catch (e) {
    stderr(`Failed to write: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}
