#!/usr/bin/env node
import '../dist/src/cli/broken-pipe.js';
import { main } from '../dist/src/cli/coracle.js';

process.exitCode = await main(process.argv.slice(2));
