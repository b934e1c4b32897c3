// enable/disable/mask/link planning (pure) against install.c's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { standardSearchPath, type SpecifierContext, type UnitView } from '../../src/units/index.js';
import { planDisable, planEnable, planLink, planMask, planUnmask, unitFileState } from '../../src/init/install.js';

const R = '/r';
const E = `${R}/etc/systemd/system`;
const L = `${R}/lib/systemd/system`;
const ctx: SpecifierContext = { machineId: '0'.repeat(32), bootId: '1'.repeat(32), hostname: 'h', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh' };
const view = (entries: UnitView['entries']): UnitView => ({ searchPath: standardSearchPath(R), entries });

const base = {
  [`${L}/web.service`]: '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nRequiredBy=app.target\nAlias=www.service\nAlso=helper.service\n',
  [`${E}/helper.service`]: '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n',
  [`${E}/static.service`]: '[Service]\nExecStart=/bin/true\n',
  [`/srv/units/ext.service`]: '[Service]\nExecStart=/bin/true\n',
};

test('install: enable links WantedBy/RequiredBy/Alias in etc (run with runtime), following Also=', () => {
  const r = planEnable(view(base), ctx, 'web.service');
  assert.ok(r.ok);
  assert.deepEqual(r.changes, [
    { type: 'symlink', path: `${E}/multi-user.target.wants/web.service`, target: `${L}/web.service` },
    { type: 'symlink', path: `${E}/app.target.requires/web.service`, target: `${L}/web.service` },
    { type: 'symlink', path: `${E}/www.service`, target: `${L}/web.service` },
    { type: 'symlink', path: `${E}/multi-user.target.wants/helper.service`, target: `${E}/helper.service` },
  ]);
  const rt = planEnable(view(base), ctx, 'helper.service', true);
  assert.ok(rt.ok);
  assert.deepEqual(rt.changes, [{ type: 'symlink', path: `${R}/run/systemd/system/multi-user.target.wants/helper.service`, target: `${E}/helper.service` }]);
  const st = planEnable(view(base), ctx, 'static.service');
  assert.ok(st.ok && st.changes.length === 0 && st.warnings[0]!.startsWith('The unit files have no installation config'));
  assert.deepEqual(planEnable(view(base), ctx, 'nope.service'), { ok: false, error: 'Unit file nope.service does not exist.' });
});

test('install: states as is-enabled prints them; disable removes the links (and the symlink link made); mask/unmask; link', () => {
  const enabled = view({
    ...base,
    [`${E}/multi-user.target.wants/web.service`]: { symlink: `${L}/web.service` },
    [`${E}/www.service`]: { symlink: `${L}/web.service` },
    [`${E}/masked.service`]: { symlink: '/dev/null' },
    [`${R}/run/systemd/system/ext.service`]: { symlink: '/srv/units/ext.service' },
  });
  const states = ['web.service', 'www.service', 'helper.service', 'static.service', 'masked.service', 'ext.service', 'nope.service'].map((n) => unitFileState(enabled, ctx, n));
  assert.deepEqual(states, ['enabled', 'alias', 'disabled', 'static', 'masked', 'linked-runtime', 'not-found']);
  const d = planDisable(enabled, ctx, 'web.service');
  assert.ok(d.ok);
  assert.deepEqual(d.changes.map((c) => c.path).sort(), [`${E}/multi-user.target.wants/web.service`, `${E}/www.service`]);
  const unlink = planDisable(enabled, ctx, 'ext.service');
  assert.ok(unlink.ok);
  assert.deepEqual(unlink.changes, [{ type: 'unlink', path: `${R}/run/systemd/system/ext.service` }], 'disable undoes link');
  assert.deepEqual(planMask(enabled, 'static.service'), { ok: false, error: `Failed to mask unit: File ${E}/static.service already exists.` });
  assert.deepEqual(planMask(enabled, 'web.service'), { ok: true, changes: [{ type: 'symlink', path: `${E}/web.service`, target: '/dev/null' }], warnings: [] });
  assert.deepEqual(planUnmask(enabled, 'masked.service'), { ok: true, changes: [{ type: 'unlink', path: `${E}/masked.service` }], warnings: [] });
  assert.deepEqual(planLink(enabled, '/srv/units/other.service'), { ok: true, changes: [{ type: 'symlink', path: `${E}/other.service`, target: '/srv/units/other.service' }], warnings: [] });
  assert.deepEqual(planLink(enabled, 'rel.service'), { ok: false, error: 'Failed to link unit: Path rel.service is not absolute.' });
  // Enabling a linked unit points its links at the file outside the unit dirs.
  const ext = planEnable(view({ ...enabled.entries, [`/srv/units/ext.service`]: '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' }), ctx, 'ext.service');
  assert.ok(ext.ok);
  assert.deepEqual(ext.changes, [{ type: 'symlink', path: `${E}/multi-user.target.wants/ext.service`, target: '/srv/units/ext.service' }]);
});
