// Where etcdctl writes, and how a command ends the process with a code
// (the Go tool calls os.Exit deep inside commands; we throw Exit instead).

export { type Io, processIo, Exit } from '../io.js';

export const ExitCode = {
  Success: 0,
  BadArgs: 1,
  BadConnection: 2,
  BadAuth: 3,
  ServerError: 4,
  ClusterNotHealthy: 5,
} as const;
