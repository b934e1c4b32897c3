// cluster-health (etcdctl/ctlv2/command/cluster_health.go): lists members
// without syncing, then asks each published client URL for /health.

import { memberHealth, type Member } from '../../client/index.js';
import type { Command } from './command.js';
import { Exit, ExitCode } from './io.js';

export const clusterHealthCommand: Command = {
  name: 'cluster-health',
  flags: [{ names: ['forever', 'f'], kind: 'bool' }],
  async run(ctx) {
    const forever = ctx.bool('forever');
    if (forever) process.once('SIGINT', () => process.exit(0));
    const c = ctx.clientNoSync();
    let members: Member[];
    try {
      // No total timeout here in etcdctl either; the per-request timeout still applies.
      members = await c.members.list({ timeout: Infinity });
    } catch (err) {
      ctx.io.out('cluster may be unhealthy: failed to list members\n');
      return ctx.fail(ExitCode.ServerError, err);
    }
    // The health client dials with min(30s, --total-timeout).
    const dial = Math.min(30000, ctx.globals.totalTimeout > 0 ? ctx.globals.totalTimeout : 30000);
    for (;;) {
      let healthy = 0;
      for (const m of members) {
        if (m.clientURLs.length === 0) {
          ctx.io.out(`member ${m.id} is unreachable: no available published client urls\n`);
          continue;
        }
        let checked = false;
        for (const url of m.clientURLs) {
          let ok: boolean;
          try {
            ok = await memberHealth(url, { timeout: dial });
          } catch (err) {
            ctx.io.out(`failed to check the health of member ${m.id} on ${url}: ${err instanceof Error ? err.message : String(err)}\n`);
            continue;
          }
          checked = true;
          if (ok) {
            ctx.io.out(`member ${m.id} is healthy: got healthy result from ${url}\n`);
            healthy++;
          } else {
            ctx.io.out(`member ${m.id} is unhealthy: got unhealthy result from ${url}\n`);
          }
          break;
        }
        if (!checked) ctx.io.out(`member ${m.id} is unreachable: [${m.clientURLs.join(' ')}] are all unreachable\n`);
      }
      if (healthy === members.length) ctx.io.out('cluster is healthy\n');
      else if (healthy === 0) ctx.io.out('cluster is unavailable\n');
      else ctx.io.out('cluster is degraded\n');
      if (!forever) throw new Exit(healthy === members.length ? ExitCode.Success : ExitCode.ClusterNotHealthy);
      ctx.io.out('\nnext check after 10 second...\n\n');
      await new Promise((r) => setTimeout(r, 10000));
    }
  },
};
