// The one long conversation the differential test holds with real etcd 3.4
// and with coracle: every operation, parameter and error of the v2 API.
// Both sides start empty; every step is asked of both in the same order, and
// nothing runs concurrently except the watches a step opens on purpose, so
// each side's index sequence is deterministic. TTL keys are either watched
// until they expire or removed long before their TTL, so no expiry lands at a
// moment that depends on timing.
import type { Ctx, Recorded, RequestSpec, Step, Tpl } from './runner.js';

const K = (key: string): string => `/v2/keys${key}`;

type ReqOpts = Omit<RequestSpec, 'method' | 'path'> & { capture?: (r: Recorded, c: Ctx) => void; setsBase?: boolean };

function req(label: string, method: string, path: Tpl, o: ReqOpts = {}): Step {
  return { kind: 'req', label, method, path, ...o };
}

/** Capture node.modifiedIndex (and node.key) of an answer into vars `${name}` / `${name}.key`. */
function cap(name: string): (r: Recorded, c: Ctx) => void {
  return (r, c) => {
    const b = JSON.parse(r.body) as { node?: { modifiedIndex?: number; key?: string } };
    if (b.node?.modifiedIndex !== undefined) c.vars.set(name, String(b.node.modifiedIndex));
    if (b.node?.key !== undefined) c.vars.set(`${name}.key`, b.node.key);
  };
}

/** Capture the X-Etcd-Index header of an answer into var `name`. */
function capIndex(name: string): (r: Recorded, c: Ctx) => void {
  return (r, c) => {
    const h = r.headers.find(([n]) => n.toLowerCase() === 'x-etcd-index');
    if (h) c.vars.set(name, h[1]);
  };
}

function watch(label: string, name: string, path: Tpl, query: Tpl, member?: number): Step {
  return { kind: 'watch', label, name, method: 'GET', path, query, ...(member !== undefined ? { member } : {}) };
}

function read(name: string, events = 1, timeoutMs = 5000): Step {
  return { kind: 'watchRead', label: `read ${name}`, name, events, timeoutMs };
}

/** Writes that fill the event history past its 1000-event window. */
export const BULK_WRITES = 1100;

export interface ConversationOptions {
  /** Single-member clusters: also ask what only makes sense with one member (leader stats, self stats). */
  single: boolean;
  /** Members to spread requests over (requests go to member i % members when spread). */
  members: number;
}

export function conversation(opts: ConversationOptions): Step[] {
  const s: Step[] = [];
  const add = (...x: Step[]) => s.push(...x);
  // In a cluster, ask followers too: writes are forwarded, quorum reads go through the log.
  // (Plain reads name no member: the runner sends them to the member that answered the last write.)
  const m = (i: number) => (opts.members > 1 ? { member: i % opts.members } : {});
  // /v2/stats/store is read from member 0 (its counters are per member). In a cluster, first make
  // sure member 0 has applied every write (a quorum read through it), and give watches the client
  // just closed a moment to be removed (the "watchers" gauge).
  const stats = (label: string): Step[] => [
    ...(opts.members > 1 ? [req(`quorum read on member 0 before: ${label}`, 'GET', K('/sync'), { query: 'quorum=true', member: 0 })] : []),
    { kind: 'sleep', ms: 200 },
    req(label, 'GET', '/v2/stats/store', { member: 0 }),
  ];

  // --- stats baseline (counters are compared relative to this answer) ---
  add(req('stats/store baseline', 'GET', '/v2/stats/store'));

  // --- set, get, delete: the captured exchanges of the reference ---
  add(
    req('set new key (first write)', 'PUT', K('/message'), { body: 'value=Hello world', setsBase: true }),
    req('set existing key', 'PUT', K('/message'), { body: 'value=Hello etcd', ...m(1) }),
    req('get key', 'GET', K('/message')),
    req('head key', 'HEAD', K('/message')),
    req('get missing key (100)', 'GET', K('/nokey')),
    req('head missing key (100)', 'HEAD', K('/nokey')),
    req('get missing nested key (100 names the deepest missing part)', 'GET', K('/message/x/y')),
    req('delete key', 'DELETE', K('/message'), m(2)),
    req('quorum get of a deleted key (100)', 'GET', K('/message'), { query: 'quorum=true' }),
    req('delete missing key (100)', 'DELETE', K('/message')),
  );

  // --- compare-and-swap, update, create ---
  add(
    req('set foo', 'PUT', K('/foo'), { body: 'value=one', capture: cap('foo1') }),
    req('CAS prevValue ok', 'PUT', K('/foo'), { query: 'prevValue=one', body: 'value=two', capture: cap('foo2') }),
    req('CAS prevValue fails (101)', 'PUT', K('/foo'), { query: 'prevValue=one', body: 'value=three' }),
    req('CAS prevIndex fails (101)', 'PUT', K('/foo'), { query: (c) => `prevIndex=${c.v('foo1')}`, body: 'value=three' }),
    req('CAS prevIndex ok', 'PUT', K('/foo'), { query: (c) => `prevIndex=${c.v('foo2')}`, body: 'value=three', capture: cap('foo3'), ...m(1) }),
    req('CAS prevValue and prevIndex ok', 'PUT', K('/foo'), { query: (c) => `prevValue=three&prevIndex=${c.v('foo3')}`, body: 'value=four', capture: cap('foo4') }),
    req('CAS both fail (101, both causes)', 'PUT', K('/foo'), { query: (c) => `prevValue=x&prevIndex=${c.v('foo3')}`, body: 'value=five' }),
    req('CAS value fails, index ok (101)', 'PUT', K('/foo'), { query: (c) => `prevValue=x&prevIndex=${c.v('foo4')}`, body: 'value=five' }),
    req('CAS value ok, index fails (101)', 'PUT', K('/foo'), { query: (c) => `prevValue=four&prevIndex=${c.v('foo3')}`, body: 'value=five' }),
    req('CAS prevIndex=0 passes (value only)', 'PUT', K('/foo'), { query: 'prevValue=four&prevIndex=0', body: 'value=five' }),
    req('CAS on missing key (100)', 'PUT', K('/nofoo'), { query: 'prevValue=a', body: 'value=b' }),
    req('update (prevExist=true)', 'PUT', K('/foo'), { query: 'prevExist=true', body: 'value=six', capture: cap('foo6') }),
    req('update missing key (100)', 'PUT', K('/newkey'), { query: 'prevExist=true', body: 'value=x' }),
    req('prevExist=true + prevValue is a CAS', 'PUT', K('/foo'), { query: 'prevExist=true&prevValue=six', body: 'value=seven' }),
    req('prevExist=true + prevIndex fails (101)', 'PUT', K('/foo'), { query: (c) => `prevExist=true&prevIndex=${c.v('foo1')}`, body: 'value=eight' }),
    req('create existing (105)', 'PUT', K('/foo'), { query: 'prevExist=false', body: 'value=x' }),
    req('create new (prevExist=false)', 'PUT', K('/created'), { query: 'prevExist=false', body: 'value=c', ...m(2) }),
    req('prevExist=false ignores prevValue (create, 105)', 'PUT', K('/created'), { query: 'prevExist=false&prevValue=c', body: 'value=d' }),
    req('prevExist=True (Go bool spelling)', 'PUT', K('/created'), { query: 'prevExist=True', body: 'value=e' }),
    req('prevExist=0 (Go bool spelling, 105)', 'PUT', K('/created'), { query: 'prevExist=0', body: 'value=e' }),
    req('body value wins over query value', 'PUT', K('/both'), { query: 'value=fromquery', body: 'value=frombody' }),
    req('query-only value', 'PUT', K('/qonly'), { query: 'value=q' }),
    req('no value at all (empty string)', 'PUT', K('/novalue')),
    req('get empty value', 'GET', K('/novalue')),
    req('set with unknown parameter', 'PUT', K('/unknown'), { body: 'value=u&frobnicate=yes' }),
    req('escaped key', 'PUT', K('/a%20b'), { body: 'value=space' }),
    req('get escaped key', 'GET', K('/a%20b')),
    req('unclean path', 'PUT', K('/x//y/../z/'), { body: 'value=clean' }),
    req('get cleaned path', 'GET', K('/x/z')),
    req('GET unclean path (301 with a body, query kept)', 'GET', K('/x/./z'), { query: 'recursive=true&sorted=true' }),
    req('HEAD unclean path (301)', 'HEAD', K('/x//z')),
    req('DELETE unclean path (301)', 'DELETE', '/v2/keys/x/../a%20b'),
    req('unclean path outside the keys API (301)', 'GET', '/v2//members'),
    req('json-escaped value', 'PUT', K('/esc'), { body: `value=${encodeURIComponent('<a&b>"\\\n\t\u2028é😀')}` }),
  );

  // --- dirs, listings, hidden keys ---
  add(
    req('make dir', 'PUT', K('/dir'), { query: 'dir=true', capture: cap('dir') }),
    req('set on existing dir (102)', 'PUT', K('/dir'), { query: 'dir=true' }),
    req('set value on dir (102)', 'PUT', K('/dir'), { body: 'value=x' }),
    req('get empty dir', 'GET', K('/dir')),
    req('dir=true with a value makes a dir', 'PUT', K('/dirv'), { query: 'dir=true', body: 'value=ignored' }),
    req('dir a', 'PUT', K('/dir/a'), { body: 'value=1', capture: cap('a') }),
    req('dir b', 'PUT', K('/dir/b'), { body: 'value=2', capture: cap('b') }),
    req('dir sub/c (creates sub)', 'PUT', K('/dir/sub/c'), { body: 'value=3' }),
    req('dir sub/d', 'PUT', K('/dir/sub/d'), { body: 'value=4' }),
    req('dir sub/deeper/e', 'PUT', K('/dir/sub/deeper/e'), { body: 'value=5' }),
    req('hidden key', 'PUT', K('/dir/_hidden'), { body: 'value=h' }),
    req('hidden dir', 'PUT', K('/dir/_hdir/x'), { body: 'value=hx' }),
    req('list dir', 'GET', K('/dir')),
    req('list dir sorted', 'GET', K('/dir'), { query: 'sorted=true' }),
    req('list dir recursive', 'GET', K('/dir'), { query: 'recursive=true' }),
    req('list dir recursive sorted', 'GET', K('/dir'), { query: 'recursive=true&sorted=true' }),
    req('list dir recursive sorted quorum', 'GET', K('/dir'), { query: 'recursive=true&sorted=true&quorum=true', ...m(1) }),
    req('head dir', 'HEAD', K('/dir'), { query: 'recursive=true' }),
    req('get hidden key directly', 'GET', K('/dir/_hidden')),
    req('list hidden dir directly', 'GET', K('/dir/_hdir')),
    req('quorum get file', 'GET', K('/dir/a'), { query: 'quorum=true' }),
    req('quorum head', 'HEAD', K('/dir/a'), { query: 'quorum=true' }),
    req('root listing', 'GET', K('/')),
    req('root listing without slash', 'GET', '/v2/keys'),
    req('root listing sorted recursive', 'GET', K('/'), { query: 'recursive=true&sorted=true' }),
    req('root listing quorum', 'GET', K('/'), { query: 'quorum=true&sorted=true' }),
    req('file under file (104)', 'PUT', K('/dir/a/b'), { body: 'value=x' }),
    req('get under file (100? 104?)', 'GET', K('/dir/a/b')),
    req('set root (107)', 'PUT', K('/'), { body: 'value=x' }),
    req('update root (107)', 'PUT', K('/'), { query: 'prevExist=true', body: 'value=x' }),
    req('CAS root (107)', 'PUT', K('/'), { query: 'prevValue=x', body: 'value=y' }),
    req('delete root (107)', 'DELETE', K('/'), { query: 'recursive=true' }),
    req('CAD root', 'DELETE', K('/'), { query: 'prevValue=x' }),
    req('update dir with value (102)', 'PUT', K('/dir'), { query: 'prevExist=true', body: 'value=x' }),
    req('CAS on dir (102)', 'PUT', K('/dir'), { query: 'prevIndex=1', body: 'value=x' }),
    req('delete dir without dir=true (102)', 'DELETE', K('/dir')),
    req('delete non-empty dir (108)', 'DELETE', K('/dir'), { query: 'dir=true' }),
    req('delete file with dir=true', 'DELETE', K('/dir/sub/d'), { query: 'dir=true' }),
    req('CAD prevValue fails (101)', 'DELETE', K('/dir/a'), { query: 'prevValue=9' }),
    req('CAD prevIndex fails (101)', 'DELETE', K('/dir/a'), { query: (c) => `prevIndex=${c.v('b')}` }),
    req('CAD both fail (101)', 'DELETE', K('/dir/a'), { query: (c) => `prevValue=9&prevIndex=${c.v('b')}` }),
    req('CAD prevValue ok', 'DELETE', K('/dir/a'), { query: 'prevValue=1', ...m(1) }),
    req('CAD prevIndex ok', 'DELETE', K('/dir/b'), { query: (c) => `prevIndex=${c.v('b')}` }),
    req('CAD on dir (102)', 'DELETE', K('/dir/sub'), { query: 'prevValue=x' }),
    req('CAD missing (100)', 'DELETE', K('/dir/zz'), { query: 'prevValue=x' }),
    req('delete dir recursive', 'DELETE', K('/dir/sub'), { query: 'recursive=true' }),
    req('make empty dir', 'PUT', K('/empty'), { query: 'dir=true' }),
    req('delete empty dir (dir=true)', 'DELETE', K('/empty'), { query: 'dir=true' }),
    req('delete missing dir (100)', 'DELETE', K('/empty'), { query: 'dir=true' }),
  );

  // --- in-order keys (POST) ---
  add(
    req('POST in-order 1', 'POST', K('/queue'), { body: 'value=Job1', capture: cap('q1') }),
    req('POST in-order 2', 'POST', K('/queue'), { body: 'value=Job2', ...m(1) }),
    req('POST in-order dir', 'POST', K('/queue'), { query: 'dir=true' }),
    req('POST in-order with ttl', 'POST', K('/queue'), { body: 'value=Job3&ttl=600', capture: cap('q3') }),
    req('list queue sorted', 'GET', K('/queue'), { query: 'sorted=true' }),
    req('list queue recursive unsorted', 'GET', K('/queue'), { query: 'recursive=true' }),
    req('get in-order key', 'GET', (c) => K(c.v('q1.key'))),
    req('POST under in-order file (104)', 'POST', (c) => K(c.v('q1.key')), { body: 'value=x' }),
    req('POST at root', 'POST', K('/'), { body: 'value=rootjob', capture: cap('rootjob') }),
    req('delete root in-order key', 'DELETE', (c) => K(c.v('rootjob.key'))),
    req('delete in-order ttl key (no expiry later)', 'DELETE', (c) => K(c.v('q3.key'))),
  );

  // --- noValueOnSuccess ---
  add(
    req('noValueOnSuccess set', 'PUT', K('/nv'), { query: 'noValueOnSuccess=true', body: 'value=1' }),
    req('noValueOnSuccess set again', 'PUT', K('/nv'), { query: 'noValueOnSuccess=true', body: 'value=2' }),
    req('noValueOnSuccess update', 'PUT', K('/nv'), { query: 'noValueOnSuccess=true&prevExist=true', body: 'value=3' }),
    req('noValueOnSuccess CAS', 'PUT', K('/nv'), { query: 'noValueOnSuccess=true&prevValue=3', body: 'value=4' }),
    req('noValueOnSuccess create', 'PUT', K('/nv2'), { query: 'noValueOnSuccess=true&prevExist=false', body: 'value=1' }),
    req('noValueOnSuccess POST', 'POST', K('/nvq'), { query: 'noValueOnSuccess=true', body: 'value=1' }),
    req('noValueOnSuccess on error (105)', 'PUT', K('/nv2'), { query: 'noValueOnSuccess=true&prevExist=false', body: 'value=1' }),
    req('noValueOnSuccess delete (ignored)', 'DELETE', K('/nv2'), { query: 'noValueOnSuccess=true' }),
    req('noValueOnSuccess get (ignored)', 'GET', K('/nv'), { query: 'noValueOnSuccess=true' }),
  );

  // --- TTL: set, refresh, clear, errors (long TTLs, removed again below) ---
  add(
    req('set with ttl', 'PUT', K('/ttl'), { body: 'value=v&ttl=600', capture: cap('ttl1') }),
    req('get ttl key', 'GET', K('/ttl')),
    req('refresh set', 'PUT', K('/ttl'), { query: 'refresh=true', body: 'ttl=700' }),
    req('refresh update', 'PUT', K('/ttl'), { query: 'refresh=true&prevExist=true', body: 'ttl=800' }),
    req('refresh CAS', 'PUT', K('/ttl'), { query: 'refresh=true&prevValue=v', body: 'ttl=900' }),
    req('refresh missing key (100)', 'PUT', K('/nottl'), { query: 'refresh=true', body: 'ttl=5' }),
    req('refresh with value (211)', 'PUT', K('/ttl'), { query: 'refresh=true', body: 'value=x&ttl=5' }),
    req('refresh without ttl (212)', 'PUT', K('/ttl'), { query: 'refresh=true' }),
    req('refresh invalid (209)', 'PUT', K('/ttl'), { query: 'refresh=yes', body: 'ttl=5' }),
    req('refresh=false with value', 'PUT', K('/ttl2'), { query: 'refresh=false', body: 'value=w&ttl=600' }),
    req('ttl not a number (202)', 'PUT', K('/ttl'), { body: 'value=x&ttl=abc' }),
    req('ttl negative (202)', 'PUT', K('/ttl'), { body: 'value=x&ttl=-1' }),
    req('update clears ttl (ttl=)', 'PUT', K('/ttl'), { query: 'prevExist=true', body: 'value=v2&ttl=' }),
    req('get after ttl cleared', 'GET', K('/ttl')),
    req('set without ttl makes permanent', 'PUT', K('/ttl2'), { body: 'value=w2' }),
    req('dir with ttl', 'PUT', K('/tdir'), { query: 'dir=true&ttl=600' }),
    req('child of ttl dir', 'PUT', K('/tdir/c'), { body: 'value=c' }),
    req('update dir ttl', 'PUT', K('/tdir'), { query: 'dir=true&prevExist=true&ttl=700' }),
    req('get dir after ttl update (stored modifiedIndex quirk)', 'GET', K('/tdir'), { query: 'recursive=true' }),
    req('update dir ttl without dir flag', 'PUT', K('/tdir'), { query: 'prevExist=true&ttl=800' }),
    req('CAS ttl key with ttl', 'PUT', K('/ttl3'), { body: 'value=a&ttl=600' }),
    req('CAS keeps a new ttl', 'PUT', K('/ttl3'), { query: 'prevValue=a', body: 'value=b&ttl=650' }),
    req('remove ttl dir', 'DELETE', K('/tdir'), { query: 'recursive=true' }),
    req('remove ttl3', 'DELETE', K('/ttl3')),
    req('remove ttl2', 'DELETE', K('/ttl2')),
  );

  // --- TTL expiry, observed by watches ---
  add(
    req('set ttl=1', 'PUT', K('/ex'), { body: 'value=a&ttl=1', capture: cap('ex') }),
    watch('watch for expiry', 'ex', K('/ex'), 'wait=true'),
    read('ex', 1, 5000),
    req('expired key is gone (100)', 'GET', K('/ex')),
    req('history shows the expire event', 'GET', K('/ex'), { query: (c) => `wait=true&waitIndex=${Number(c.v('ex')) + 1}` }),
    req('ttl dir', 'PUT', K('/exdir'), { query: 'dir=true&ttl=1' }),
    req('child of expiring dir', 'PUT', K('/exdir/child'), { body: 'value=c' }),
    watch('watch child of expiring dir', 'exdir', K('/exdir/child'), 'wait=true'),
    read('exdir', 1, 5000),
    req('expired dir is gone (100)', 'GET', K('/exdir/child')),
    watch('stream watch for ttl=0 key', 'zero', K('/zero'), 'wait=true&stream=true'),
    req('set ttl=0 (expires at the next sync)', 'PUT', K('/zero'), { body: 'value=z&ttl=0' }),
    read('zero', 2, 5000),
    ...stats('stats after expiry'),
  );

  // --- watches ---
  add(
    watch('watch key', 'w1', K('/w'), 'wait=true', m(1).member),
    req('write watched key', 'PUT', K('/w'), { body: 'value=1', capture: cap('w1') }),
    read('w1'),
    watch('recursive watch', 'w2', K('/wd'), 'wait=true&recursive=true'),
    req('write under watched dir', 'PUT', K('/wd/x'), { body: 'value=1' }),
    read('w2'),
    req('watch from history', 'GET', K('/w'), { query: (c) => `wait=true&waitIndex=${c.v('w1')}` }),
    req('recursive watch from history', 'GET', K('/wd'), { query: (c) => `wait=true&recursive=true&waitIndex=${c.v('w1')}` }),
    req('watch from history, recursive=false spelled out', 'GET', K('/w'), { query: (c) => `wait=true&waitIndex=${c.v('w1')}&recursive=false` }),
    req('capture index', 'GET', K('/w'), { capture: capIndex('now') }),
    watch('future waitIndex skips earlier events', 'w3', K('/w'), (c) => `wait=true&waitIndex=${Number(c.v('now')) + 2}`),
    req('write 1 (skipped)', 'PUT', K('/w'), { body: 'value=2' }),
    req('write 2 (seen)', 'PUT', K('/w'), { body: 'value=3' }),
    read('w3'),
    watch('non-recursive dir watch', 'w4', K('/wd'), 'wait=true'),
    req('child write (not seen by w4)', 'PUT', K('/wd/y'), { body: 'value=2' }),
    req('delete watched dir (seen)', 'DELETE', K('/wd'), { query: 'recursive=true' }),
    read('w4'),
    req('make dir for descendant watch', 'PUT', K('/pd/a/b'), { body: 'value=1' }),
    watch('watch descendant', 'w5', K('/pd/a/b'), 'wait=true'),
    req('delete ancestor dir', 'DELETE', K('/pd'), { query: 'recursive=true' }),
    read('w5'),
    watch('stream watch', 'st', K('/st'), 'wait=true&stream=true&recursive=true', m(2).member),
    req('stream write 1', 'PUT', K('/st/a'), { body: 'value=1' }),
    req('stream write 2', 'PUT', K('/st/b'), { body: 'value=2' }),
    req('stream write 3', 'DELETE', K('/st/a')),
    read('st', 3),
    watch('recursive watch above hidden', 'h', K('/h'), 'wait=true&recursive=true'),
    req('hidden write (not delivered)', 'PUT', K('/h/_secret'), { body: 'value=s', capture: cap('hs') }),
    req('visible write (delivered)', 'PUT', K('/h/visible'), { body: 'value=v' }),
    read('h'),
    req('history scan returns hidden key (quirk)', 'GET', K('/h'), { query: (c) => `wait=true&recursive=true&waitIndex=${c.v('hs')}` }),
    watch('watch hidden key directly', 'h2', K('/h/_secret'), 'wait=true'),
    req('hidden write 2', 'PUT', K('/h/_secret'), { body: 'value=s2' }),
    read('h2'),
    watch('watch refreshed key', 'r', K('/r'), 'wait=true'),
    req('ttl key for refresh', 'PUT', K('/r'), { body: 'value=r&ttl=600' }),
    read('r'),
    watch('refresh is invisible to watchers', 'r2', K('/r'), 'wait=true'),
    req('refresh (not delivered)', 'PUT', K('/r'), { query: 'refresh=true', body: 'ttl=700', capture: cap('rr') }),
    req('set after refresh (delivered)', 'PUT', K('/r'), { body: 'value=r2' }),
    read('r2'),
    req('history scan skips refresh', 'GET', K('/r'), { query: (c) => `wait=true&waitIndex=${c.v('rr')}` }),
    watch('watch for a create', 'c', K('/cw'), 'wait=true'),
    req('create watched', 'PUT', K('/cw'), { query: 'prevExist=false', body: 'value=1' }),
    read('c'),
    watch('watch for a CAS', 'cas', K('/cw'), 'wait=true'),
    req('CAS watched', 'PUT', K('/cw'), { query: 'prevValue=1', body: 'value=2' }),
    read('cas'),
    watch('watch for a CAD', 'cad', K('/cw'), 'wait=true'),
    req('CAD watched', 'DELETE', K('/cw'), { query: 'prevValue=2' }),
    read('cad'),
    watch('watch in-order dir', 'q', K('/wq'), 'wait=true&recursive=true'),
    req('POST under watched dir', 'POST', K('/wq'), { body: 'value=j' }),
    read('q'),
    req('wait on PUT (209)', 'PUT', K('/w'), { query: 'wait=true', body: 'value=x' }),
    req('wait on DELETE (209)', 'DELETE', K('/w'), { query: 'wait=true' }),
    req('waitIndex not a number (203)', 'GET', K('/w'), { query: 'wait=true&waitIndex=abc' }),
    req('waitIndex negative (203)', 'GET', K('/w'), { query: 'wait=true&waitIndex=-1' }),
    req('remove ttl key r', 'DELETE', K('/r')),
  );

  // --- parameter errors ---
  add(
    req('recursive invalid (209)', 'GET', K('/foo'), { query: 'recursive=maybe' }),
    req('sorted invalid (209)', 'GET', K('/foo'), { query: 'sorted=2' }),
    req('quorum invalid (209)', 'GET', K('/foo'), { query: 'quorum=yes' }),
    req('wait invalid (209)', 'GET', K('/foo'), { query: 'wait=on' }),
    req('stream invalid (209)', 'GET', K('/foo'), { query: 'stream=x' }),
    req('dir invalid (209)', 'PUT', K('/foo'), { query: 'dir=x' }),
    req('prevExist invalid (209)', 'PUT', K('/foo'), { query: 'prevExist=maybe', body: 'value=x' }),
    req('noValueOnSuccess invalid (209)', 'PUT', K('/foo'), { query: 'noValueOnSuccess=x', body: 'value=x' }),
    req('prevValue empty (201)', 'PUT', K('/foo'), { query: 'prevValue=', body: 'value=x' }),
    req('prevValue empty on DELETE (201)', 'DELETE', K('/foo'), { query: 'prevValue=' }),
    req('prevIndex not a number (203)', 'PUT', K('/foo'), { query: 'prevIndex=x', body: 'value=x' }),
    req('prevIndex negative (203)', 'DELETE', K('/foo'), { query: 'prevIndex=-3' }),
    req('two errors: the first checked wins', 'PUT', K('/foo'), { query: 'recursive=x&prevIndex=y&ttl=z', body: 'value=x' }),
    req('bad escape in body (210)', 'PUT', K('/foo'), { body: 'value=%zz' }),
    req('bad escape in query (210)', 'GET', K('/foo'), { query: 'recursive=%g1' }),
    req('semicolon in query (210)', 'GET', K('/foo'), { query: 'a=1;b=2' }),
    req('semicolon in body (210)', 'PUT', K('/foo'), { body: 'value=1;x=2' }),
    req('non-form body is ignored', 'PUT', K('/jsonbody'), { body: '{"value":"x"}', contentType: 'application/json' }),
    req('HEAD with a parse error', 'HEAD', K('/foo'), { query: 'recursive=x' }),
  );

  // --- other endpoints ---
  add(
    req('members', 'GET', '/v2/members'),
    req('members (trailing slash)', 'GET', '/v2/members/'),
    req('delete members without id (405)', 'DELETE', '/v2/members'),
    req('add member with a form (415)', 'POST', '/v2/members', { body: 'peerURLs=http://127.0.0.69:2380' }),
    req('add member with a bad URL (400)', 'POST', '/v2/members', { body: '{"peerURLs":["notaurl"]}', contentType: 'application/json' }),
    req('add member with a used URL (409)', 'POST', '/v2/members', { body: (c) => `{"peerURLs":["${c.side.peerURLs[0]}"]}`, contentType: 'application/json' }),
    req('members PATCH (405 with Allow)', 'PATCH', '/v2/members'),
    req('update members without id (405 without Allow)', 'PUT', '/v2/members', { body: '{"peerURLs":["http://127.0.0.69:2380"]}', contentType: 'application/json' }),
    req('get unknown members path (404 Not found)', 'GET', '/v2/members/abc'),
    req('add member, Content-Type not lowercased without ";" (415)', 'POST', '/v2/members', { body: '{"peerURLs":["notaurl"]}', contentType: 'Application/JSON' }),
    req('add member, Content-Type lowercased before ";" (400)', 'POST', '/v2/members', { body: '{"peerURLs":["notaurl"]}', contentType: 'Application/JSON; charset=utf-8' }),
    req('add member, text Content-Type (415)', 'POST', '/v2/members', { body: 'x', contentType: 'text/plain; charset=utf-8' }),
    req('remove member, not a hex ID (404)', 'DELETE', '/v2/members/xyz'),
    req('remove member, leading zeros (404 names the ID without them)', 'DELETE', '/v2/members/001234abcd'),
    req('remove unknown member (404)', 'DELETE', '/v2/members/1234abcd'),
    req('update unknown member (404)', 'PUT', '/v2/members/1234abcd', { body: '{"peerURLs":["http://127.0.0.69:2380"]}', contentType: 'application/json' }),
    req('machines', 'GET', '/v2/machines'),
    req('machines HEAD', 'HEAD', '/v2/machines'),
    req('machines POST (405)', 'POST', '/v2/machines'),
    req('version', 'GET', '/version'),
    req('health', 'GET', '/health'),
    ...stats('stats/store'),
    req('stats/store POST (405)', 'POST', '/v2/stats/store'),
    req('stats/self PUT (405)', 'PUT', '/v2/stats/self'),
    req('keys PATCH (405)', 'PATCH', K('/foo')),
    req('keys OPTIONS (CORS preflight)', 'OPTIONS', K('/foo')),
    req('OPTIONS on an unknown, unclean path', 'OPTIONS', '/nope//x'),
    req('unknown path (404)', 'GET', '/nope'),
    req('unknown v2 path (404)', 'GET', '/v2/nope'),
    req('keys prefix without slash (404)', 'GET', '/v2/keysx'),
  );
  if (opts.single) {
    add(
      req('leader member', 'GET', '/v2/members/leader'),
      req('stats/self', 'GET', '/v2/stats/self'),
      req('stats/leader', 'GET', '/v2/stats/leader'),
    );
  }

  // --- big bodies ---
  add(
    req('2 MB value (201)', 'PUT', K('/big'), { body: () => Buffer.from(`value=${'v'.repeat(2 << 20)}`) }),
    req('get 2 MB value', 'GET', K('/big')),
    req('12 MB form (400, 210)', 'PUT', K('/toobig'), { body: () => Buffer.from(`value=${'v'.repeat(12 << 20)}`) }),
    req('12 MB form left nothing', 'GET', K('/toobig')),
    req('delete big', 'DELETE', K('/big')),
  );

  // --- the 1000-event history window ---
  add(req('before bulk', 'GET', K('/foo'), { capture: capIndex('preBulk') }));
  for (let i = 0; i < BULK_WRITES; i++) {
    add(req(`bulk write ${i}`, 'PUT', K(`/bulk/k${i % 10}`), { body: `value=${i}`, ...m(i) }));
  }
  add(
    req('watch from a cleared index (401)', 'GET', K('/foo'), { query: (c) => `wait=true&waitIndex=${Number(c.v('preBulk')) + 1}` }),
    req('watch from the first write (401)', 'GET', K('/bulk'), { query: (c) => `wait=true&recursive=true&waitIndex=${c.idx(0)}` }),
    req('capture index after bulk', 'GET', K('/bulk'), { capture: capIndex('postBulk') }),
    // The oldest retained event is postBulk - 999.
    req('watch from the oldest retained event', 'GET', K('/bulk'), { query: (c) => `wait=true&recursive=true&waitIndex=${Number(c.v('postBulk')) - 999}` }),
    req('watch just below the window (401)', 'GET', K('/bulk'), { query: (c) => `wait=true&recursive=true&waitIndex=${Number(c.v('postBulk')) - 1000}` }),
    req('bulk listing sorted', 'GET', K('/bulk'), { query: 'sorted=true' }),
    ...stats('stats/store at the end'),
  );
  // A watch answers with its member's store index when it starts (X-Etcd-Index): in a cluster, a
  // quorum read through that member first makes sure it has applied every earlier write.
  const synced = opts.members > 1
    ? s.flatMap((x) => (x.kind === 'watch' ? [req(`quorum read on member ${x.member ?? 0} before: ${x.label}`, 'GET', K('/sync'), { query: 'quorum=true', member: x.member ?? 0 }), x] : [x]))
    : s;
  s.splice(0, s.length, ...synced);
  // Debugging aid (DIFF_PROBE_STATS=1): a /v2/stats/store read after every step shows which
  // request moves a counter differently. Stats reads change no index.
  if (process.env.DIFF_PROBE_STATS === '1') {
    return s.flatMap((x) => (x.kind === 'req' && !x.label.startsWith('bulk') ? [x, ...stats(`stats after: ${x.label}`)] : [x]));
  }
  return s;
}
