// A second process for the lock and kill -9 tests (not a test file itself).
//   node child.js open DIR          try to open; print {"ok":true} or {"code","message"}
//   node child.js hold DIR          open, print "held", then wait to be killed
//   node child.js append DIR SEG    create the log, then save entries in
//                                   windows of 8 concurrent saves, printing each
//                                   index once its save resolved; stops after
//                                   20000 entries or 2 seconds
import { Wal } from '../../src/wal/wal.js';
import { WalError } from '../../src/wal/errors.js';
import type { Entry } from '../../src/raft/types.js';

const [mode, dir, seg] = process.argv.slice(2);
const quiet = { info: () => undefined, warn: () => undefined };

function entry(i: number): Entry {
  return { index: i, term: 1 + (i >> 8), type: 'normal', data: new TextEncoder().encode(`value-${i}-${'v'.repeat(i % 50)}`) };
}

async function main(): Promise<void> {
  if (mode === 'open') {
    try {
      const r = await Wal.open(dir!, undefined, { logger: quiet });
      await r.wal.close();
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    } catch (err) {
      const e = err as WalError;
      process.stdout.write(`${JSON.stringify({ code: e.code, message: e.message })}\n`);
    }
  } else if (mode === 'hold') {
    await Wal.open(dir!, undefined, { logger: quiet });
    process.stdout.write('held\n');
    setInterval(() => undefined, 1000);
  } else if (mode === 'append') {
    const wal = await Wal.create(dir!, new TextEncoder().encode('child'), { segmentSize: Number(seg), logger: quiet });
    const stopAt = Date.now() + 2000;
    let next = 1;
    while (next <= 20000 && Date.now() < stopAt) {
      const window: Promise<void>[] = [];
      for (let k = 0; k < 8; k++, next++) {
        const i = next;
        const e = entry(i);
        window.push(wal.save({ term: e.term, vote: 'n1', commit: i - 1 }, [e], true).then(() => void process.stdout.write(`${i}\n`)));
      }
      await Promise.all(window);
    }
    await wal.close();
    process.stdout.write('done\n');
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

await main();
