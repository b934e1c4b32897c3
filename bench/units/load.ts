// Time to load n units from one view (what `coracle node` does at boot and
// on daemon-reload): n oneshot services, each wanted by multi-user.target.
//
//   npm run bench:units -- [n]        (default 1000)
import { loadUnit, type UnitView, type ViewEntry } from '../../src/units/index.js';

const n = Number(process.argv[2] ?? 1000);
const root = '/machine';
const dir = `${root}/etc/systemd/system`;
const entries: Record<string, ViewEntry> = {};
for (let i = 0; i < n; i++) {
  entries[`${dir}/u${i}.service`] = '[Service]\nType=oneshot\nExecStart=/bin/true\n';
  entries[`${dir}/multi-user.target.wants/u${i}.service`] = { symlink: `${dir}/u${i}.service` };
}
const view: UnitView = { searchPath: [dir, `${root}/run/systemd/system`, `${root}/lib/systemd/system`], entries };
const ctx = { machineId: '0'.repeat(32), bootId: '1'.repeat(32), hostname: 'bench', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh' };

const started = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const u = loadUnit(view, `u${i}.service`, ctx);
  if (u.loadState !== 'loaded') throw new Error(`u${i}.service: ${u.loadState}`);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`units: loaded ${n} units from one view in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000).toLocaleString('en-US')} units/s)\n`);
