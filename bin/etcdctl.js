#!/usr/bin/env node
// etcdctl, the etcd v2 command-line client (coracle's, compatible with etcdctl 3.4 ETCDCTL_API=2).
import '../dist/src/cli/broken-pipe.js';
import { main } from '../dist/src/cli/etcdctl/main.js';

const code = await main(process.argv.slice(2));
// Exit now: idle keep-alive sockets must not hold the process open.
process.exit(code);
