// A command whose reader went away (`coracle cluster status | head -3`) stops
// quietly, as a Go or C program killed by SIGPIPE does, instead of dying on
// an unhandled EPIPE with a stack trace. Imported first by every bin/ entry.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
