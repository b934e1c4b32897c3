#!/usr/bin/env node
// fleetctl, the fleet command-line client (coracle's, compatible with fleetctl v1.0.0).
import '../dist/src/cli/broken-pipe.js';
import { main } from '../dist/src/cli/fleetctl/main.js';

const code = await main(process.argv.slice(2));
// Exit now: idle keep-alive sockets must not hold the process open.
process.exit(code);
