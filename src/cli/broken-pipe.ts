// When a command's reader goes away (`coracle cluster status | head -3`), a
// Go or C program dies of SIGPIPE (status 141 to the shell); Node would die
// of an unhandled EPIPE with a stack trace instead. Imported first by every
// bin/ entry. A daemon (`coracle node`, `etcd`, `fleetd`, `discovery`) whose
// echo goes nowhere keeps running and stops writing there: dying would leave
// its units or data half-stopped.
const DAEMONS = new Set(['node', 'etcd', 'fleetd', 'discovery']);
const daemon = process.argv[1]?.endsWith('coracle.js') === true && DAEMONS.has(process.argv[2] ?? '');

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    if (!daemon) process.exit(128 + 13);
  });
}
