// Where a command-line tool writes, and how a command ends the process with
// a code: the Go tools coracle mirrors (etcdctl, fleetctl) call os.Exit deep
// inside commands; ours throw Exit, caught at the top.

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** Ends the command with an exit code. */
export class Exit {
  constructor(readonly code: number) {}
}
