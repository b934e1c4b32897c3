// The shipped units (pure rendering) load cleanly with the units module, and
// ct's etcd-wrapper drop-in is translated to coracle etcd with its flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shippedUnits, userCloudinitUnit } from '../../src/node/units.js';
import { coracleEtcdDropIn, wrapperFlags } from '../../src/node/etcd-wrapper.js';

const input = { root: '/var/m 1%', privateIpv4: '127.0.0.9', publicIpv4: '203.0.113.9', coracle: ['/usr/bin/node', '/opt/coracle/bin/coracle.js'], helpers: ['/usr/bin/node', '/opt/h.js'] };

test('boot-time user-data runs through user-cloudinit@ instances named as systemd-escape --path names them', () => {
  assert.equal(userCloudinitUnit('/var/lib/coreos-install/user_data'), 'user-cloudinit@var-lib-coreos\\x2dinstall-user_data.service');
  assert.equal(userCloudinitUnit('/usr/share/oem/cloud-config.yml'), 'user-cloudinit@usr-share-oem-cloud\\x2dconfig.yml.service');
  const { links } = shippedUnits(input);
  assert.ok(links.some((l) => l.path === 'user-config.target.wants/user-cloudinit@var-lib-coreos\\x2dinstall-user_data.service'));
});

test('paths with spaces and % in the root stay literal in the units', () => {
  const { files } = shippedUnits(input);
  assert.ok(files['etcd2.service']!.includes('Environment="ETCD_DATA_DIR=/var/m 1%%/var/lib/etcd2"'));
  assert.ok(files['fleet.service']!.includes('Environment="FLEET_PUBLIC_IP=203.0.113.9"'));
  assert.ok(files['etcd2.service']!.includes('ExecStart=/usr/bin/node /opt/coracle/bin/coracle.js etcd'));
});

test("ct's etcd-member drop-in: the wrapper's flags go to coracle etcd", () => {
  const ct = '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.9"\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --name="node1" \\\n  --enable-v2=false \\\n  --listen-client-urls="http://0.0.0.0:2379" \\\n  --advertise-client-urls="http://10.0.0.5:2379"';
  const flags = wrapperFlags(ct);
  assert.equal(flags, '--name="node1" --enable-v2=false --listen-client-urls="http://0.0.0.0:2379" --advertise-client-urls="http://10.0.0.5:2379"');
  assert.equal(coracleEtcdDropIn(flags!, ['/usr/bin/node', '/c.js']), `[Service]\nExecStart=\nExecStart=/usr/bin/node /c.js etcd ${flags}\n`);
  assert.equal(wrapperFlags('[Service]\nExecStart=/bin/true\n'), null);
});
