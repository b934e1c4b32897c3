// Differential test: the same etcdctl session run by the real etcdctl 3.4
// (ETCDCTL_API=2) and by ours, each against a fresh real etcd 3.4 at the same
// address, must print the same stdout and stderr and exit with the same codes,
// after the fixed normalization in etcdctl-harness.ts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { EtcdClient } from '../../src/client/index.js';
import { REAL_ETCDCTL, requireRealEtcd, startEtcd } from '../client/real-etcd.js';
import { normalize, ourTool, realTool, runScript, type Transcript, type Step, type Tool } from './etcdctl-harness.js';

const IP = '127.0.0.40';
const CLIENT = 24379;
const PEER = 24380;
const EP = `http://${IP}:${CLIENT}`;
const DEAD = `http://${IP}:1`;

// A member that accepts connections and never answers: header timeouts.
let hang: net.Server;
let hangURL = '';
const held: net.Socket[] = [];

before(async () => {
  requireRealEtcd();
  hang = net.createServer((s) => held.push(s));
  await new Promise<void>((r) => hang.listen(0, IP, r));
  hangURL = `http://${IP}:${(hang.address() as net.AddressInfo).port}`;
});

after(() => {
  for (const s of held) s.destroy();
  hang.close();
});

const echoEnv =
  'echo "action=$ETCD_WATCH_ACTION key=$ETCD_WATCH_KEY value=$ETCD_WATCH_VALUE idx=$ETCD_WATCH_MODIFIED_INDEX"';

function script(): Step[] {
  const r = (...args: string[]): Step => ({ args });
  const sorted = (...args: string[]): Step => ({ args, sortLines: true });
  return [
    // set / get / mk / mkdir / setdir / update / updatedir
    r('set', '/ctl/a', 'hello'),
    r('get', '/ctl/a'),
    r('mk', '/ctl/a', 'x'),
    r('mk', '/ctl/b', 'bee'),
    r('mkdir', '/ctl/d'),
    r('mkdir', '/ctl/d'),
    r('setdir', '/ctl/d2'),
    r('setdir', '/ctl/d2', '--ttl', '100'),
    r('update', '/ctl/a', 'upd'),
    r('update', '/ctl/zz', 'v'),
    r('updatedir', '/ctl/d', '--ttl', '100'),
    r('updatedir', '/ctl/nodir'),
    r('get', '/ctl'),
    r('get', '/ctl/nokey'),
    r('get', '--quorum', '/ctl/a'),
    r('get', '-q', '--sort', '/ctl/b'),
    r('set', '/ctl/a/b', 'x'),
    r('set', '/a b/c&d', 'spaced value'),
    r('get', '/a b/c&d'),
    r('set', '/ctl', 'x'),
    r('set', '/ctl/dash', '--', '-v'),
    r('set', '--', '/ctl/dash2', '-v'),
    r('set', '/ctl/neg', '-5'),
    // ls
    sorted('ls', '/ctl'),
    sorted('ls', '-p', '/ctl'),
    r('ls', '--recursive', '-p', '--sort', '/ctl'),
    r('ls', '--sort', '-r', '/'),
    sorted('ls'),
    r('ls', '/ctl/a'),
    r('ls', '/nokey'),
    // rm / rmdir
    r('rm', '/ctl/b'),
    r('rm', '/ctl/d'),
    r('rmdir', '/ctl/d'),
    r('rmdir', '/ctl/d'),
    r('set', '/ctl/d3/x', '1'),
    r('rmdir', '/ctl/d3'),
    r('rm', '--dir', '/ctl/d3'),
    r('rm', '-r', '/ctl/d3'),
    r('rm', '--recursive', '/ctl/d2'),
    r('rm', '--dir', '/ctl/dash'),
    // compare-and-swap / compare-and-delete
    r('set', '/ctl/c', '1'),
    r('set', '/ctl/c', '2', '--swap-with-value', '1'),
    r('set', '/ctl/c', '3', '--swap-with-value', 'nope'),
    r('set', '/ctl/c', '4', '--swap-with-index', '999'),
    r('set', '/ctl/c', '5', '--swap-with-value', 'nope', '--swap-with-index', '999'),
    r('rm', '/ctl/c', '--with-value', '9'),
    r('rm', '/ctl/c', '--with-index', '1'),
    r('rm', '/ctl/c', '--with-value', '2'),
    // in-order keys
    r('mk', '--in-order', '/ctl/q', 'job1'),
    r('mk', '--in-order', '/ctl/q', 'job2'),
    r('ls', '--sort', '/ctl/q'),
    r('mk', '--in-order', '/ctl/a', 'job'),
    // TTLs and output formats
    r('-o', 'extended', 'set', '/ctl/ttlk', 'v', '--ttl', '30'),
    r('-o', 'extended', 'get', '/ctl/ttlk'),
    r('-o', 'json', 'get', '/ctl/ttlk'),
    r('-o', 'json', 'get', '/ctl/a'),
    r('-o', 'json', 'set', '/ctl/a', 'x<y>&"z"'),
    r('-o', 'json', 'ls', '--sort', '--recursive', '/ctl'),
    r('-o', 'extended', 'ls', '--sort', '/ctl/q'),
    r('--output', 'json', 'mkdir', '/ctl/j'),
    r('-o', 'extended', 'setdir', '/ctl/j'),
    r('-o', 'json', 'updatedir', '/ctl/j', '--ttl', '50'),
    r('-o', 'extended', 'rm', '/ctl/a'),
    r('-o', 'json', 'rmdir', '/ctl/j'),
    r('-o', 'json', 'get', '/ctl/nokey'),
    r('-o', 'extended', 'mk', '/ctl/mk', 'v', '--ttl', '20'),
    r('-o', 'bad', 'get', '/ctl/mk'),
    r('mk', '/ctl/mkttl', 'v', '--ttl', '20'),
    r('update', '/ctl/mkttl', 'w', '--ttl', '40'),
    r('-o', 'extended', 'get', '/ctl/mkttl'),
    // --debug prints each request as a curl command
    r('--debug', 'set', '/ctl/dbg', 'a b&c'),
    r('--debug', '--no-sync', 'get', '/ctl/dbg'),
    r('--debug', 'rm', '/ctl/dbg'),
    // value from stdin
    { args: ['set', '/ctl/stdin'], stdin: 'from stdin\n' },
    { args: ['mk', '/ctl/stdin2'], stdin: 'x' },
    { args: ['update', '/ctl/stdin'], stdin: 'again' },
    { args: ['set', '/ctl/nostdin'], stdin: '' },
    r('get', '/ctl/stdin'),
    // usage errors
    r('get'),
    r('set'),
    r('mk'),
    r('mkdir'),
    r('rm'),
    r('rmdir'),
    r('update'),
    r('watch'),
    r('exec-watch', '/ew'),
    r('get', '--bogus', '/ctl/a'),
    r('bogus'),
    r('--bogus', 'get', '/ctl/a'),
    r('set', '--ttl', 'abc', '/x', 'y'),
    r('set', '--ttl'),
    r('--timeout', '3', 'get', '/ctl/q'),
    r('--no-sync=maybe', 'get', '/ctl/q'),
    r('get', '--sort=yes', '/ctl/q'),
    r('ls', '--recursive', '-r', '/ctl'),
    r('--output', 'json', '-o', 'json', 'get', '/ctl/q'),
    r('get', '/ctl/mk', '--bogus'),
    r('member', 'bogus'),
    r('member', 'list', 'extra'),
    r('member', 'add', 'only-name'),
    r('member', 'remove'),
    r('member', 'update', 'x'),
    r('help', 'nope'),
    r('help', 'get'),
    r('h'),
    r('get', '/ctl/mk', 'extra', 'args'),
    // help and version
    r('--help'),
    r('-h', 'get'),
    r('rm', '--help'),
    r('member', '--help'),
    r('member', 'remove', '-h'),
    r('member', 'help', 'update'),
    r('cluster-health', '-h'),
    r('backup', '--help'),
    // watch: one event, recursive, forever, extended, after-index
    {
      kind: 'background',
      args: ['watch', '/wk'],
      watchers: 1,
      then: [r('set', '/wk', 'v1')],
      until: ['v1'],
    },
    {
      kind: 'background',
      args: ['watch', '-r', '/wdir'],
      watchers: 1,
      then: [r('mkdir', '/wdir/sub'), r('set', '/wdir/a', '1')],
      until: ['[set] /wdir/a'],
    },
    {
      kind: 'background',
      args: ['watch', '--forever', '/wf'],
      watchers: 1,
      then: [r('set', '/wf', '1'), { kind: 'wait', stdout: '1\n' }, r('set', '/wf', '2'), { kind: 'wait', stdout: '2\n' }, r('rm', '/wf')],
      until: ['PrevNode.Value: 2'],
    },
    {
      kind: 'background',
      args: ['-o', 'extended', 'watch', '/wk'],
      watchers: 1,
      then: [r('set', '/wk', 'v2')],
      until: ['v2'],
    },
    {
      kind: 'background',
      args: ['-o', 'json', 'watch', '-f', '-r', '/wj'],
      watchers: 1,
      then: [r('set', '/wj/x', '1'), { kind: 'wait', stdout: '"value":"1"' }, r('rm', '/wj/x')],
      until: ['"action":"delete"'],
    },
    r('watch', '--after-index', '1', '/wk'),
    r('watch', '--after-index', '1', '-r', '/ctl'),
    // exec-watch: the environment handed to the command
    {
      kind: 'background',
      args: ['exec-watch', '--recursive', '/ew', '--', 'sh', '-c', echoEnv],
      watchers: 1,
      then: [
        r('set', '/ew/k', 'hello world'),
        { kind: 'wait', stdout: 'value=hello world' },
        r('mkdir', '/ew/sub'),
        r('rm', '/ew/k'),
      ],
      until: ['action=set key=/ew/k value=hello world', 'action=delete key=/ew/k value='],
      untilErr: ['Ignored dir /ew/sub change'],
    },
    {
      kind: 'background',
      // Without a `--` after the key, etcdctl takes the LAST argument as the key.
      args: ['exec-watch', 'sh', '-c', 'echo "$ETCD_WATCH_VALUE $ETCD_WATCH_KEY"', '/ew2'],
      watchers: 1,
      then: [r('set', '/ew2', 'one')],
      until: ['one /ew2'],
    },
    // endpoint selection: flags and environment
    { args: ['get', '/ctl/mk'], env: { ETCDCTL_ENDPOINTS: EP } },
    { args: ['get', '/ctl/mk'], env: { ETCDCTL_ENDPOINT: EP } },
    { args: ['get', '/ctl/mk'], env: { ETCDCTL_PEERS: EP } },
    { args: ['--endpoints', DEAD, 'get', '/ctl/mk'], env: { ETCDCTL_ENDPOINTS: EP } },
    { args: ['--peers', EP, 'get', '/ctl/mk'], env: { ETCDCTL_ENDPOINTS: DEAD } },
  ];
}

/** Steps with their own endpoints (no --endpoints prefix). */
function endpointScript(): Step[] {
  const r = (...args: string[]): Step => ({ args });
  return [
    r('-C', EP, 'get', '/ctl/mk'),
    r('--peers', EP, 'get', '/ctl/mk'),
    r('--endpoint', EP, 'get', '/ctl/mk'),
    r('--endpoints', DEAD, 'get', '/ctl/mk'),
    r('--endpoints', DEAD, '--no-sync', 'get', '/ctl/mk'),
    r('--endpoints', DEAD, '--no-sync', 'mk', '/ctl/new', 'v'),
    r('--endpoints', DEAD, '--no-sync', 'rm', '/ctl/mk'),
    r('--endpoints', DEAD, 'watch', '/ctl/mk'),
    r('--endpoints', `${DEAD},${DEAD}`, '--no-sync', 'get', '/ctl/mk'),
    r('--endpoints', EP, '--total-timeout', '0', 'get', '/ctl/mk'),
    r('--endpoints', EP, '--no-sync', '--total-timeout', '0s', 'get', '/ctl/mk'),
    r('--endpoints', EP, '--no-sync', 'get', '/ctl/mk'),
    r('--endpoints', hangURL, '--timeout', '300ms', 'get', '/ctl/mk'),
    r('--endpoints', hangURL, '--no-sync', '--timeout', '300ms', 'get', '/ctl/mk'),
    r('--endpoints', hangURL, '--timeout', '300ms', '--total-timeout', '1s', 'cluster-health'),
  ];
}

async function session(tool: Tool): Promise<Transcript[]> {
  const etcd = await startEtcd({ name: 'diff', ip: IP, clientPort: CLIENT, peerPort: PEER });
  try {
    const main = await runScript(tool, EP, ['--endpoints', EP], script());
    const eps = await runScript(tool, EP, [], endpointScript());
    // Fill the 1000-event history so an old index is cleared: error 401.
    const c = new EtcdClient({ endpoints: [EP] });
    for (let i = 0; i < 1010; i++) await c.keys.set('/fill', String(i));
    c.close();
    const cleared = await runScript(tool, EP, ['--endpoints', EP], [{ args: ['watch', '--after-index', '1', '/wk'] }]);
    return [...main, ...eps, ...cleared];
  } finally {
    await etcd.stop();
  }
}

test('the real etcdctl is etcd 3.4 (so ours can never stand in for it)', () => {
  requireRealEtcd();
  const r = spawnSync(REAL_ETCDCTL, ['--version'], { env: { ETCDCTL_API: '2' }, encoding: 'utf8' });
  assert.match(r.stdout, /^etcdctl version: 3\.4\.\d+\nAPI version: 2\n$/);
  const ours = spawnSync(process.execPath, [ourTool.argv0[1]!, '--version'], { encoding: 'utf8' });
  assert.doesNotMatch(ours.stdout, /3\.4\.\d+/);
  assert.match(ours.stdout, /^etcdctl version: .*\(coracle\)\nAPI version: 2\n$/);
});

test('etcdctl session: every key command, error, format, watch and exec-watch match the real etcdctl', { timeout: 240000 }, async () => {
  const real = await session(realTool);
  const ours = await session(ourTool);
  assert.equal(ours.length, real.length);
  for (let i = 0; i < real.length; i++) {
    assert.deepEqual(normalize(ours[i]!, []), normalize(real[i]!, []), `step ${i}: etcdctl ${real[i]!.args}`);
  }
});
