// What every etcdctl command shares: the global flags, the client built from
// them (synced with the cluster first unless --no-sync), and error reporting
// with etcdctl's exit codes.

import {
  ClusterError,
  EtcdClient,
  NoEndpointsError,
  isConnectionError,
  type CallOptions,
} from '../../client/index.js';
import type { FlagValue } from './flags.js';
import { Exit, ExitCode, type Io } from './io.js';

export interface Globals {
  debug: boolean;
  noSync: boolean;
  output: string;
  endpoints: string[];
  /** ms per request until headers arrive. */
  timeout: number;
  /** ms for a whole command (except watches). */
  totalTimeout: number;
  username: string;
}

export const DEFAULT_ENDPOINTS = 'http://127.0.0.1:2379,http://127.0.0.1:4001';

export function globalsFrom(values: ReadonlyMap<string, FlagValue>, env: NodeJS.ProcessEnv): Globals {
  const str = (k: string): string => {
    const v = values.get(k);
    return typeof v === 'string' ? v : '';
  };
  // getPeersFlagValue: --endpoints, ETCDCTL_ENDPOINTS, --endpoint, ETCDCTL_ENDPOINT, --peers, ETCDCTL_PEERS.
  const peers =
    [str('endpoints'), env.ETCDCTL_ENDPOINTS, str('endpoint'), env.ETCDCTL_ENDPOINT, str('peers'), env.ETCDCTL_PEERS].find(
      (s): s is string => s !== undefined && s !== '',
    ) ?? DEFAULT_ENDPOINTS;
  const num = (k: string, dflt: number): number => {
    const v = values.get(k);
    return typeof v === 'number' ? v : dflt;
  };
  return {
    debug: values.get('debug') === true,
    noSync: values.get('no-sync') === true,
    output: values.has('output') ? str('output') : 'simple',
    endpoints: peers.split(','),
    timeout: num('timeout', 2000),
    totalTimeout: num('total-timeout', 5000),
    username: str('username') !== '' ? str('username') : (env.ETCDCTL_USERNAME ?? ''),
  };
}

export class Ctx {
  constructor(
    readonly io: Io,
    readonly globals: Globals,
    /** The command's own flags. */
    readonly flags: ReadonlyMap<string, FlagValue>,
    readonly args: readonly string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  bool(name: string): boolean {
    return this.flags.get(name) === true;
  }

  string(name: string): string {
    const v = this.flags.get(name);
    return typeof v === 'string' ? v : '';
  }

  int(name: string): number {
    const v = this.flags.get(name);
    return typeof v === 'number' ? v : 0;
  }

  /** The call options of one command step: the --total-timeout. */
  call(): CallOptions {
    return { timeout: this.globals.totalTimeout };
  }

  /**
   * handleError: prints `Error:  <err>` and exits. etcdctl 3.4 means to print
   * etcd errors as JSON under -o json, but its type check never matches (the
   * client returns the error by value), so it never does; neither do we.
   */
  fail(code: number, err: unknown): never {
    const message = err instanceof Error ? err.message : String(err);
    this.io.err(`Error:  ${message}\n`);
    if (err instanceof ClusterError) this.io.err(err.detail() + '\n');
    throw new Exit(code);
  }

  /** A usage complaint printed as is, then exit 1. */
  die(message: string, code: number = ExitCode.BadArgs): never {
    this.io.err(message + '\n');
    throw new Exit(code);
  }

  private newClient(): EtcdClient {
    let username = this.globals.username;
    let password = '';
    const colon = username.indexOf(':');
    if (colon >= 0) {
      password = username.slice(colon + 1);
      username = username.slice(0, colon);
    } else if (username !== '') {
      this.die('etcdctl: --username without ":password" needs a terminal prompt, which coracle\'s etcdctl does not do; use --username user:password');
    }
    const debug = this.globals.debug;
    try {
      return new EtcdClient({
        endpoints: this.globals.endpoints,
        headerTimeoutPerRequest: this.globals.timeout,
        username,
        password,
        onRequest: debug
          ? (req) =>
              this.io.err(
                `cURL Command: curl -X ${req.method} ${req.url.href}${req.body !== undefined ? ` -d ${JSON.stringify(req.body)}` : ''}\n`,
              )
          : undefined,
      });
    } catch (e) {
      return this.die(e instanceof Error ? e.message : String(e));
    }
  }

  /** mustNewClientNoSync. */
  clientNoSync(): EtcdClient {
    const c = this.newClient();
    if (this.globals.debug) this.io.err(`Cluster-Endpoints: ${c.endpoints().join(', ')}\n`);
    return c;
  }

  /** mustNewClient: syncs endpoints with GET /v2/members unless --no-sync. */
  async client(): Promise<EtcdClient> {
    const c = this.newClient();
    const debug = this.globals.debug;
    if (!this.globals.noSync) {
      if (debug) this.io.err(`start to sync cluster using endpoints(${c.endpoints().join(',')})\n`);
      try {
        await c.sync(this.call());
      } catch (err) {
        if (err instanceof NoEndpointsError) {
          this.io.err('etcd cluster has no published client endpoints.\n');
          this.io.err(
            `Try '--no-sync' if you want to access non-published client endpoints(${c.endpoints().join(',')}).\n`,
          );
          this.fail(ExitCode.ServerError, err);
        }
        if (isConnectionError(err)) this.fail(ExitCode.BadConnection, err);
        // Any other sync failure is ignored, as etcdctl does: the command itself will tell.
      }
      if (debug) this.io.err(`got endpoints(${c.endpoints().join(',')}) after sync\n`);
    }
    if (debug) this.io.err(`Cluster-Endpoints: ${c.endpoints().join(', ')}\n`);
    return c;
  }
}
