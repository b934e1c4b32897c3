// Where etcdctl writes, and how a command ends the process with a code
// (the Go tool calls os.Exit deep inside commands; we throw Exit instead).

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export class Exit {
  constructor(readonly code: number) {}
}

export const ExitCode = {
  Success: 0,
  BadArgs: 1,
  BadConnection: 2,
  BadAuth: 3,
  ServerError: 4,
  ClusterNotHealthy: 5,
} as const;
