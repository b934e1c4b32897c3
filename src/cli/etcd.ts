// `coracle etcd`: one etcd-compatible member, configured like etcd 3.4.
import { ConfigError, parseEtcdConfig, usage } from '../etcd/config.js';
import { jsonLogger } from '../common/log.js';
import { MembershipError } from '../etcd/member/cluster.js';
import { startMember } from '../etcd/member.js';
import { DiscoveryError } from '../etcd/discovery.js';
import { startProxy } from '../etcd/proxy.js';
import { DataDirError } from '../etcd/server/data-dir.js';
import { isWalError } from '../wal/index.js';

export async function etcdCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
    process.stdout.write(usage());
    return 0;
  }
  let parsed;
  try {
    parsed = parseEtcdConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`coracle etcd: ${err.message}\nRun 'coracle etcd --help' for the flags.\n`);
    return 1;
  }
  const { config, warnings } = parsed;
  const log = jsonLogger({ level: config.logLevel, base: { name: config.name } });
  for (const w of warnings) log.warn(w);

  const proxyLocalAddress = new URL(config.initialAdvertisePeerURLs[0]!).hostname;
  const runProxy = async (peerURLs: string[]): Promise<number> => {
    const proxy = await startProxy({ dataDir: config.dataDir, peerURLs, listenClientURLs: config.listenClientURLs, readonly: config.proxy === 'readonly', log, localAddress: proxyLocalAddress });
    return new Promise<number>((resolve) => {
      const stop = () => void proxy.close().then(() => resolve(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  };
  if (config.proxy !== 'off') {
    const peers = config.initialCluster.split(',').map((p) => p.slice(p.indexOf('=') + 1)).filter((u) => u !== '');
    return runProxy(peers);
  }

  let member;
  try {
    member = await startMember(config, log);
  } catch (err) {
    if (err instanceof DiscoveryError && err.kind === 'full') {
      log.warn('discovery cluster full, falling back to proxy', { discovery: config.discovery });
      return runProxy(err.clusterPeerURLs);
    }
    if (err instanceof ConfigError || err instanceof MembershipError || err instanceof DataDirError || isWalError(err)) {
      log.error('cannot start the member', { error: err.message });
      process.stderr.write(`coracle etcd: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
      log.error('cannot listen', { error: e.message });
      process.stderr.write(`coracle etcd: ${e.message}\n`);
      return 1;
    }
    throw err;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('received signal; shutting down', { signal });
      void member.close().then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    void member.stopped.then(() => {
      if (!stopping) resolve(process.exitCode === 1 ? 1 : 0);
    });
  });
}
