// fleetd's configuration: fleet's option names, value forms and precedence
// (file < FLEET_* environment < flags), with errors that name where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyConfigFile, applyEnvironment, defaultConfig, parseDuration, parseMetadata, parseServerList, setOption, validateConfig,
} from '../../src/fleet/config.js';

test('defaults are fleet\'s', () => {
  const c = defaultConfig();
  assert.deepEqual(c.etcdServers, ['http://127.0.0.1:2379', 'http://127.0.0.1:4001']);
  assert.equal(c.etcdKeyPrefix, '/_coreos.com/fleet/');
  assert.equal(c.agentTTL, 30);
  assert.equal(c.engineReconcileInterval, 2);
  assert.equal(c.etcdRequestTimeout, 1);
  assert.equal(c.tokenLimit, 100);
});

test('etcd_servers: commas, and the ["a","b"] form', () => {
  assert.deepEqual(parseServerList('http://a:2379,http://b:2379'), ['http://a:2379', 'http://b:2379']);
  assert.deepEqual(parseServerList('["http://a:2379", "http://b:2379"]'), ['http://a:2379', 'http://b:2379']);
});

test('metadata: k=v pairs, trimmed, later keys win, pairs without = dropped, quotes allowed', () => {
  assert.deepEqual(parseMetadata('region=us, az = b ,junk,region=eu'), { region: 'eu', az: 'b' });
  assert.deepEqual(parseMetadata('"role=web,disk=ssd"'), { role: 'web', disk: 'ssd' });
  assert.deepEqual(parseMetadata('k=a=b'), { k: 'a=b' });
});

test('agent_ttl is a Go duration', () => {
  assert.equal(parseDuration('30s'), 30);
  assert.equal(parseDuration('1m30s'), 90);
  assert.equal(parseDuration('500ms'), 0.5);
  assert.equal(parseDuration('5'), 5);
  assert.throws(() => parseDuration('soon'), /invalid duration "soon"/);
});

test('precedence: file, then FLEET_* environment, then flags', () => {
  const c = defaultConfig();
  applyConfigFile(c, '# fleet.conf\npublic_ip=10.0.0.1\nmetadata="region=us"\nagent_ttl=20s\n', '/etc/fleet/fleet.conf');
  applyEnvironment(c, { FLEET_PUBLIC_IP: '10.0.0.2', FLEET_ETCD_SERVERS: 'http://127.0.0.2:2379', FLEET_DISABLE_ENGINE: 'true' });
  setOption(c, 'public_ip', '10.0.0.3', '--public_ip');
  assert.equal(c.publicIP, '10.0.0.3');
  assert.deepEqual(c.metadata, { region: 'us' });
  assert.equal(c.agentTTL, 20);
  assert.deepEqual(c.etcdServers, ['http://127.0.0.2:2379']);
  assert.equal(c.disableEngine, true);
});

test('errors name the file and line, or the variable', () => {
  assert.throws(() => applyConfigFile(defaultConfig(), 'verbosity=1\nnonsense\n', '/tmp/f.conf'), /\/tmp\/f\.conf:2: expected key=value/);
  assert.throws(() => applyConfigFile(defaultConfig(), 'bogus_key=1\n', '/tmp/f.conf'), /\/tmp\/f\.conf:1: unknown option "bogus_key"/);
  assert.throws(() => applyEnvironment(defaultConfig(), { FLEET_TOKEN_LIMIT: 'many' }), /FLEET_TOKEN_LIMIT: token_limit: not an integer/);
  assert.throws(() => applyEnvironment(defaultConfig(), { FLEET_AGENT_TTL: 'soon' }), /FLEET_AGENT_TTL: agent_ttl: time: invalid duration/);
  const c = defaultConfig();
  c.etcdServers = ['127.0.0.1:2379'];
  assert.throws(() => validateConfig(c), /etcd_servers: not an http\(s\) URL/);
});

test('options fleet ignores only warn', () => {
  const c = defaultConfig();
  const w = applyConfigFile(c, 'verify_units=true\nenable_grpc=true\n', 'f.conf');
  assert.equal(w.length, 2);
  assert.match(w[0]!, /verify_units is not supported and is ignored/);
});
