// The fleet v1 HTTP API against a registry in a coracle etcd (127.0.0.180):
// every route and status code fleet v1.0.0's API answers with, its error
// bodies, paging tokens and quirks (?alt=json, percent-encoded names, never
// a 404 on state/{name}), over the unix socket and over TCP.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { addMachine, addUnit, runUnitOn, startFleetApi, type FleetApi } from './api-harness.js';
import { encodePageToken } from '../../src/fleet/api/index.js';
import { fleetctl } from '../cli/fleetctl-harness.js';

let api: FleetApi;
const M1 = '113f16a7c4ff4d57a4b6a4b0b4b7e57a';
const M2 = 'f00dfeedf00dfeedf00dfeedf00dfeed';

before(async () => {
  api = await startFleetApi('127.0.0.180', { tokenLimit: 2 });
});
after(async () => {
  await api?.stop();
});
beforeEach(async () => {
  await api.reset().catch(() => undefined);
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request over the API's unix socket (as fleetctl's default endpoint), or over TCP with tcp=true. */
function call(method: string, path: string, body?: string, headers: Record<string, string> = {}, tcp = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const base: http.RequestOptions = tcp ? { host: api.addr, port: 49153, localAddress: api.addr } : { socketPath: api.socket };
    const all: Record<string, string> = { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers };
    for (const [k, v] of Object.entries(all)) if (v === '-') delete all[k]; // '-': do not send this header
    const req = http.request({ ...base, method, path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const err = (code: number, message: string): string => JSON.stringify({ error: { code, message } });
const HELLO = '[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/sleep 100\n';
const helloOptions = [
  { name: 'Description', section: 'Unit', value: 'Hello' },
  { name: 'ExecStart', section: 'Service', value: '/bin/sleep 100' },
];

test('GET /units: units sorted by name with desired and derived current state; empty fields left out', async () => {
  let r = await call('GET', '/fleet/v1/units?alt=json');
  assert.equal(r.status, 200);
  assert.equal(r.body, '{}');
  assert.equal(r.headers['server'], 'fleetd/1.0.0');
  assert.equal(r.headers['content-type'], 'application/json');
  await addMachine(api, M1, '10.0.0.3');
  await addUnit(api, 'b.service', HELLO, 'launched');
  await runUnitOn(api, 'b.service', M1);
  await addUnit(api, 'a.service', '[Service]\nExecStart=/bin/true\nEnvironment=\n');
  r = await call('GET', '/fleet/v1/units?alt=json');
  assert.equal(
    r.body,
    '{"units":[' +
      '{"currentState":"inactive","desiredState":"inactive","name":"a.service","options":[{"name":"ExecStart","section":"Service","value":"/bin/true"},{"name":"Environment","section":"Service"}]},' +
      `{"currentState":"launched","desiredState":"launched","machineID":"${M1}","name":"b.service","options":${JSON.stringify(helloOptions)}}` +
      ']}',
  );
});

test('paging: token_limit items per page, nextPageToken until the end, bad tokens refused', async () => {
  for (const n of ['a', 'b', 'c', 'd', 'e']) await addUnit(api, `${n}.service`, `[Service]\nExecStart=/bin/echo ${n}\n`);
  const names: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await call('GET', `/fleet/v1/units?alt=json${token !== undefined ? `&nextPageToken=${token}` : ''}`);
    assert.equal(r.status, 200);
    const page = JSON.parse(r.body) as { units: { name: string }[]; nextPageToken?: string };
    names.push(...page.units.map((u) => u.name));
    token = page.nextPageToken;
    pages++;
  } while (token !== undefined);
  assert.deepEqual(names, ['a.service', 'b.service', 'c.service', 'd.service', 'e.service']);
  assert.equal(pages, 3);
  assert.equal(encodePageToken({ limit: 2, page: 2 }), 'AgACAA==');
  const bad: Array<[string, string]> = [
    [encodePageToken({ limit: 100, page: 2 }), 'token limit must be 2'],
    [encodePageToken({ limit: 2, page: 0 }), 'token page must be greater than zero'],
    ['!!', 'illegal base64 data at input byte 0'],
  ];
  for (const [tok, msg] of bad) {
    const r = await call('GET', `/fleet/v1/units?alt=json&nextPageToken=${encodeURIComponent(tok)}`);
    assert.equal(r.status, 400, tok);
    assert.equal(r.body, err(400, msg));
  }
  const two = await call('GET', '/fleet/v1/state?nextPageToken=AgABAA==&nextPageToken=AgABAA==');
  assert.equal(two.body, err(400, 'too many values for page token'));
  // fleetctl follows the tokens through every page (and so does the real one, when given)
  for (const real of process.env.FLEETCTL_REAL !== undefined ? [undefined, process.env.FLEETCTL_REAL] : [undefined]) {
    const r = await fleetctl(['list-unit-files', '--no-legend', '--fields=unit'], { env: { FLEETCTL_ENDPOINT: `unix://${api.socket}` }, ...(real !== undefined ? { real } : {}) });
    assert.equal(r.stdout, 'a.service\nb.service\nc.service\nd.service\ne.service\n');
  }
  // past the end: an empty page
  const far = await call('GET', `/fleet/v1/units?nextPageToken=${encodePageToken({ limit: 2, page: 9 })}`);
  assert.equal(far.body, '{}');
});

test('GET /units/{name}: 200, 404 "unit does not exist", percent-encoded names; global units carry no schedule', async () => {
  await addUnit(api, 'lb@2.service', HELLO);
  let r = await call('GET', '/fleet/v1/units/lb%402.service?alt=json');
  assert.equal(r.status, 200);
  assert.equal(r.body, `{"currentState":"inactive","desiredState":"inactive","name":"lb@2.service","options":${JSON.stringify(helloOptions)}}`);
  r = await call('GET', '/fleet/v1/units/nope.service?alt=json');
  assert.equal(r.status, 404);
  assert.equal(r.body, err(404, 'unit does not exist'));
  await addUnit(api, 'g.service', '[Service]\nExecStart=/bin/true\n[X-Fleet]\nGlobal=true\n', 'launched');
  r = await call('GET', '/fleet/v1/units/g.service');
  assert.equal(r.body, '{"desiredState":"launched","name":"g.service","options":[{"name":"ExecStart","section":"Service","value":"/bin/true"},{"name":"Global","section":"X-Fleet","value":"true"}]}');
  // a slash in the name is not an item path
  r = await call('GET', '/fleet/v1/units/a%2Fb.service');
  assert.equal(r.status, 404);
  assert.equal(r.body, err(404, ''));
});

test('PUT /units/{name}: create 201, update 204, and every refusal with fleet\'s message', async () => {
  const put = (name: string, body: unknown, headers?: Record<string, string>): Promise<Reply> =>
    call('PUT', `/fleet/v1/units/${encodeURIComponent(name)}?alt=json`, typeof body === 'string' ? body : JSON.stringify(body) + '\n', headers);
  let r = await put('hello.service', { name: 'hello.service', options: helloOptions });
  assert.equal(r.status, 201);
  assert.equal(r.body, '');
  assert.equal((await api.reg.unit('hello.service'))?.targetState, 'inactive');
  assert.equal((await api.client.keys.get('/_coreos.com/fleet/unit/' + (await api.reg.unit('hello.service'))!.hash)).node?.value, JSON.stringify({ Raw: HELLO }));
  r = await put('hello.service', { desiredState: 'launched', name: 'hello.service' });
  assert.equal(r.status, 204);
  assert.equal((await api.reg.unit('hello.service'))?.targetState, 'launched');
  // same options again: only the state changes
  r = await put('hello.service', { desiredState: 'loaded', options: helloOptions });
  assert.equal(r.status, 204);
  assert.equal((await api.reg.unit('hello.service'))?.targetState, 'loaded');
  // different options: a new version of the unit, desired state from the body or inactive
  r = await put('hello.service', { options: [{ name: 'ExecStart', section: 'Service', value: '/bin/sleep 200' }] });
  assert.equal(r.status, 201);
  assert.equal((await api.reg.unit('hello.service'))?.targetState, 'inactive');
  assert.equal((await api.reg.unit('hello.service'))?.file?.text, '[Service]\nExecStart=/bin/sleep 200\n');

  const refusals: Array<[string, unknown, number, string, Record<string, string>?]> = [
    ['x.service', { options: helloOptions }, 415, 'expected 1 Content-Type, got 0', { 'Content-Type': '-' }],
    ['x.service', { options: helloOptions }, 415, 'only acceptable Content-Type is application/json', { 'Content-Type': '' }],
    ['x.service', { options: helloOptions }, 415, 'only acceptable Content-Type is application/json', { 'Content-Type': 'text/plain' }],
    ['x.service', '', 400, 'unable to decode body: EOF'],
    ['x.service', 'nonsense', 400, "unable to decode body: invalid character 'o' in literal null (expecting 'u')"],
    ['x.service', 'xyz', 400, "unable to decode body: invalid character 'x' looking for beginning of value"],
    ['x.service', '{"name":', 400, 'unable to decode body: unexpected EOF'],
    ['x.service', { options: 'oops' }, 400, 'unable to decode body: json: cannot unmarshal string into Go value of type []*schema.UnitOption'],
    ['x.service', { name: 7 }, 400, 'unable to decode body: json: cannot unmarshal number into Go value of type string'],
    ['x.service', { name: 'y.service', options: helloOptions }, 400, 'name in URL "x.service" differs from unit name in request body "y.service"'],
    ['nodot', { options: helloOptions }, 400, 'unit name must contain "."'],
    ['x.bogus', { options: helloOptions }, 400, 'invalid unit type: "bogus"'],
    ['x@1.mount', { options: helloOptions }, 400, 'invalid unit type for template: "mount"'],
    ['x$.service', { options: helloOptions }, 400, "invalid character '$' in unit name"],
    ['@x.service', { options: helloOptions }, 400, 'unit name cannot start in "@"'],
    ['new.service', { desiredState: 'launched' }, 409, 'unit does not exist and options field empty'],
    ['new.service', { options: [...helloOptions, { name: 'MachineID', section: 'X-Fleet', value: 'abc' }, { name: 'Conflicts', section: 'X-Fleet', value: 'x*' }] }, 400, 'MachineID cannot be used with Conflicts'],
    ['new.service', { options: [{ name: 'Global', section: 'X-Fleet', value: 'true' }, { name: 'MachineOf', section: 'X-Fleet', value: 'a.service' }] }, 400, 'Global cannot be used with Peers'],
    ['new.service', { options: [{ name: 'MachineOf', section: 'X-Fleet', value: 'web@1.service' }, { name: 'Conflicts', section: 'X-Fleet', value: 'web@*' }] }, 400, 'unresolvable requirements: peer "web@1.service" matches conflict "web@*"'],
    ['new.service', { options: [{ name: 'ExecStart', section: 'Service', value: 'x'.repeat(2100) }] }, 400, 'line too long (max 2048 bytes)'],
    ['hello.service', { name: 'hello.service' }, 409, 'must provide DesiredState to update existing unit'],
    ['hello.service', { desiredState: 'running' }, 400, 'invalid value "running" for JobState'],
  ];
  for (const [name, body, code, msg, headers] of refusals) {
    r = await put(name, body, headers);
    assert.equal(r.status, code, `${name} ${JSON.stringify(body).slice(0, 80)}`);
    assert.equal(r.body, err(code, msg), `${name} ${JSON.stringify(body).slice(0, 80)}`);
  }
  assert.equal(await api.reg.unit('new.service'), undefined);

  // templates can be submitted but not activated
  r = await put('web@.service', { options: helloOptions });
  assert.equal(r.status, 201);
  r = await put('web@.service', { desiredState: 'launched' });
  assert.equal(r.status, 400);
  assert.equal(r.body, err(400, 'cannot activate template "web@.service"'));
  r = await put('web@.service', { desiredState: 'inactive' });
  assert.equal(r.status, 204);
  // Go's field matching is case-insensitive
  r = await put('Case.service', '{"Name":"Case.service","Options":[{"Name":"ExecStart","Section":"Service","Value":"/bin/true"}],"DesiredState":"loaded"}');
  assert.equal(r.status, 201);
  assert.equal((await api.reg.unit('Case.service'))?.targetState, 'loaded');
});

test('DELETE /units/{name}: 204 then 404; the unit body stays (content-addressed)', async () => {
  const hash = await addUnit(api, 'hello.service', HELLO);
  let r = await call('DELETE', '/fleet/v1/units/hello.service?alt=json');
  assert.equal(r.status, 204);
  assert.equal(r.body, '');
  r = await call('DELETE', '/fleet/v1/units/hello.service?alt=json');
  assert.equal(r.status, 404);
  assert.equal(r.body, err(404, 'unit does not exist'));
  assert.ok((await api.client.keys.get(`/_coreos.com/fleet/unit/${hash}`)).node?.value);
});

test('methods fleet does not serve: 405 with its messages; / is 405, unknown paths 404', async () => {
  const cases: Array<[string, string, number, string]> = [
    ['POST', '/fleet/v1/units', 405, 'only GET supported against this resource'],
    ['POST', '/fleet/v1/units/a.service', 405, 'only GET, PUT and DELETE supported against this resource'],
    ['DELETE', '/fleet/v1/state', 405, 'only GET supported against this resource'],
    ['PUT', '/fleet/v1/state/a.service', 405, 'only GET supported against this resource'],
    ['DELETE', '/fleet/v1/machines', 405, 'only GET and PATCH supported against this resource'],
    ['POST', '/fleet/v1/discovery', 400, 'only HTTP GET supported against this resource'],
    ['GET', '/fleet/v1', 405, ''],
    ['GET', '/', 405, ''],
    ['GET', '/nope', 404, ''],
    ['GET', '/fleet/v1/machines/x', 404, ''],
    ['GET', '/fleet/v1/units/', 404, ''],
  ];
  for (const [method, path, code, msg] of cases) {
    const r = await call(method, path);
    assert.equal(r.status, code, `${method} ${path}`);
    assert.equal(r.body, err(code, msg), `${method} ${path}`);
    assert.equal(r.headers['server'], 'fleetd/1.0.0');
  }
  const redirect = await call('GET', '/fleet/v1//units');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/fleet/v1/units');
});

test('GET /state: sorted, filtered by machineID and unitName; state/{name} is the first state, 500 (never 404) when none', async () => {
  await addMachine(api, M1, '10.0.0.3');
  await addMachine(api, M2, '10.0.0.4');
  const hash = await addUnit(api, 'g.service', '[Service]\nExecStart=/bin/true\n[X-Fleet]\nGlobal=true\n', 'launched');
  for (const m of [M2, M1]) await api.reg.saveUnitState({ name: 'g.service', machineID: m, loadState: 'loaded', activeState: 'active', subState: 'running', hash }, 300);
  await addUnit(api, 'a.service', HELLO, 'launched');
  await runUnitOn(api, 'a.service', M2, { active: 'activating', sub: 'start' });
  let r = await call('GET', '/fleet/v1/state?alt=json');
  const states = (JSON.parse(r.body) as { states: { name: string; machineID: string }[]; nextPageToken?: string });
  assert.deepEqual(states.states.map((s) => `${s.name}@${s.machineID.slice(0, 4)}`), ['a.service@f00d', 'g.service@113f']);
  assert.ok(states.nextPageToken !== undefined);
  r = await call('GET', `/fleet/v1/state?alt=json&machineID=${M1}`);
  assert.equal(r.body, `{"states":[{"hash":"${hash}","machineID":"${M1}","name":"g.service","systemdActiveState":"active","systemdLoadState":"loaded","systemdSubState":"running"}]}`);
  r = await call('GET', '/fleet/v1/state?unitName=a.service');
  assert.deepEqual((JSON.parse(r.body) as { states: { systemdSubState: string }[] }).states.map((s) => s.systemdSubState), ['start']);
  r = await call('GET', '/fleet/v1/state/g.service?alt=json');
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body) as { machineID: string }).machineID, M1);
  r = await call('GET', '/fleet/v1/state/none.service?alt=json');
  assert.equal(r.status, 500);
  assert.equal(r.body, err(500, 'unit state does not exist'));
});

test('GET /machines and PATCH metadata (fleet v1.0.0\'s wrapped values), with every refusal', async () => {
  await addMachine(api, M2, '10.0.0.4', { region: 'us' });
  await addMachine(api, M1, '10.0.0.3');
  await addMachine(api, 'ee11ee11ee11ee11ee11ee11ee11ee11', '');
  let r = await call('GET', '/fleet/v1/machines?alt=json', undefined, {}, true);
  const page = JSON.parse(r.body) as { machines: unknown[]; nextPageToken: string };
  assert.deepEqual(page.machines, [{ id: M1, primaryIP: '10.0.0.3' }, { id: 'ee11ee11ee11ee11ee11ee11ee11ee11' }]);
  r = await call('GET', `/fleet/v1/machines?alt=json&nextPageToken=${page.nextPageToken}`, undefined, {}, true);
  assert.equal(r.body, `{"machines":[{"id":"${M2}","metadata":{"region":"us"},"primaryIP":"10.0.0.4"}]}`);

  const patch = (ops: unknown): Promise<Reply> => call('PATCH', '/fleet/v1/machines', typeof ops === 'string' ? ops : JSON.stringify(ops));
  r = await patch([
    { op: 'add', path: `/${M1}/metadata/disk`, value: { value: 'ssd' } },
    { op: 'replace', path: `/${M2}/metadata/region`, value: { value: 'eu' } },
  ]);
  assert.equal(r.status, 204);
  assert.equal(r.body, '');
  r = await call('GET', '/fleet/v1/machines');
  assert.deepEqual((JSON.parse(r.body) as { machines: { metadata?: unknown }[] }).machines[0], { id: M1, metadata: { disk: 'ssd' }, primaryIP: '10.0.0.3' });
  r = await patch([{ op: 'remove', path: `/${M1}/metadata/disk` }]);
  assert.equal(r.status, 204);
  assert.equal((await api.client.keys.get(`/_coreos.com/fleet/machines/${M1}/metadata/disk`)).node?.value, '');
  const refusals: Array<[unknown, string]> = [
    [[{ op: 'move', path: `/${M1}/metadata/x`, value: { value: 'y' } }], 'invalid op: expect add, remove, or replace'],
    [[{ op: 'add', path: `/${M1}/meta/x`, value: { value: 'y' } }], 'machine metadata path invalid'],
    [[{ op: 'add', path: `/${M1}/metadata/a/b`, value: { value: 'y' } }], 'machine metadata path invalid'],
    [[{ op: 'add', path: `/${M1}/metadata/x` }], 'invalid value: add and replace require a value'],
    [[{ op: 'add', path: `/${M1}/metadata/x`, value: 'bare' }], 'json: cannot unmarshal string into Go value of type struct { Value string "json:\\"value\\"" }'],
    [{ op: 'add' }, 'json: cannot unmarshal object into Go value of type []api.machineMetadataOp'],
    ['', 'EOF'],
  ];
  for (const [ops, msg] of refusals) {
    r = await patch(ops);
    assert.equal(r.status, 400, JSON.stringify(ops));
    assert.equal(r.body, err(400, msg), JSON.stringify(ops));
  }
});

test('discovery document, /v1-alpha, /metrics and /health', async () => {
  let r = await call('GET', '/fleet/v1/discovery');
  assert.equal(r.status, 200);
  const doc = JSON.parse(r.body) as { id: string; rootUrl: string; resources: Record<string, { methods: Record<string, { path: string }> }> };
  assert.equal(doc.id, 'fleet:v1');
  assert.equal(doc.rootUrl, '$ENDPOINT/');
  assert.equal(doc.resources['Units']!.methods['Set']!.path, 'units/{unitName}');
  await addUnit(api, 'a.service', HELLO);
  r = await call('GET', '/v1-alpha/units/a.service');
  assert.equal(r.status, 200);
  r = await call('GET', '/metrics', undefined, {}, true);
  assert.equal(r.status, 200);
  assert.match(r.body, /fleet_api_requests_total\{method="GET",route="units\/\{name\}",code="200"\} \d+/);
  r = await call('GET', '/health');
  assert.equal(r.body, '{"health":"true"}');
  // coracle: where a machine's agent answers status/journal
  r = await call('GET', `/coracle/v1/machines/${M1}/agent`);
  assert.equal(r.status, 404);
  await api.reg.setAgentEndpoint(M1, 'http://127.0.0.181:49154', 300);
  r = await call('GET', `/coracle/v1/machines/${M1}/agent`);
  assert.equal(r.body, '{"url":"http://127.0.0.181:49154"}');
});

test('JSON as Go writes it: HTML-sensitive characters escaped', async () => {
  await addUnit(api, 'sh.service', '[Service]\nExecStart=/bin/sh -c "echo a > /tmp/x && echo <b>"\n');
  const r = await call('GET', '/fleet/v1/units/sh.service');
  assert.ok(r.body.includes('"value":"/bin/sh -c \\"echo a \\u003e /tmp/x \\u0026\\u0026 echo \\u003cb\\u003e\\""'), r.body);
});

test('etcd unreachable: 503 "fleet server unable to communicate with etcd" (runs last: stops the member)', async () => {
  await api.stopEtcd();
  for (const [method, path] of [['GET', '/fleet/v1/units'], ['GET', '/fleet/v1/units/a.service'], ['GET', '/fleet/v1/machines'], ['GET', '/fleet/v1/state']] as const) {
    const r = await call(method, path);
    assert.equal(r.status, 503, path);
    assert.equal(r.body, err(503, 'fleet server unable to communicate with etcd'));
  }
  const h = await call('GET', '/health');
  assert.equal(h.status, 503);
});
