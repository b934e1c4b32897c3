// Membership changes, one server at a time (Raft thesis §4.1).
//
// A configuration takes effect on a server as soon as its entry is in that
// server's log, committed or not ("a server always uses the latest
// configuration in its log"). Because each change adds or removes at most one
// voter, any majority of the old configuration overlaps any majority of the
// new one, so two leaders can never be elected in one term. The leader keeps
// the rest of the argument true: it appends a new change only after the
// previous one committed, and only after it committed an entry of its own
// term (the fix for the single-server change bug Ongaro described in 2015).
//
// A removed server is not sent the entry that removes it (its progress goes
// with it), so it may keep believing it is a voter. With pre-vote or
// check-quorum its campaigns are harmless; without them its higher terms
// would depose leaders again and again. Applications should, like etcd's
// transport, drop messages from members whose removal has been applied.
import type { ConfChange, ConfChangeType, ConfState, NodeId } from './types.js';

const typeCodes: Record<ConfChangeType, number> = { addNode: 1, removeNode: 2, addLearnerNode: 3 };
const codeTypes: ConfChangeType[] = ['addNode', 'addNode', 'removeNode', 'addLearnerNode'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Wire form of a ConfChange entry: [type][id length][id utf-8][context]. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const id = encoder.encode(cc.nodeId);
  if (id.length === 0 || id.length > 255) throw new Error(`invalid node id '${cc.nodeId}'`);
  const out = new Uint8Array(2 + id.length + cc.context.length);
  out[0] = typeCodes[cc.type];
  out[1] = id.length;
  out.set(id, 2);
  out.set(cc.context, 2 + id.length);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const code = data[0];
  const idLength = data[1];
  if (code === undefined || code < 1 || code > 3 || idLength === undefined || idLength === 0 || data.length < 2 + idLength) {
    throw new Error(`malformed conf change entry (${data.length} bytes)`);
  }
  return {
    type: codeTypes[code]!,
    nodeId: decoder.decode(data.subarray(2, 2 + idLength)),
    context: data.slice(2 + idLength),
  };
}

/**
 * Why a change cannot be made to `cs`, or undefined if it can. Leaders refuse
 * such proposals; a server applying one from its log treats it as a no-op, so
 * every server still derives the same configuration from the same log.
 */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | undefined {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addNode':
      return isVoter ? `${cc.nodeId} is already a voter` : undefined;
    case 'addLearnerNode':
      if (isVoter) return `${cc.nodeId} is a voter; demoting a voter to learner is not supported`;
      return isLearner ? `${cc.nodeId} is already a learner` : undefined;
    case 'removeNode':
      if (!isVoter && !isLearner) return `${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return `removing ${cc.nodeId} would leave no voters`;
      return undefined;
  }
}

/** The configuration after `cc`. Invalid changes leave it as it was. */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  if (confChangeProblem(cs, cc) !== undefined) return cs;
  const voters = cs.voters.filter((id) => id !== cc.nodeId);
  const learners = cs.learners.filter((id) => id !== cc.nodeId);
  if (cc.type === 'addNode') voters.push(cc.nodeId);
  if (cc.type === 'addLearnerNode') learners.push(cc.nodeId);
  return { voters, learners };
}

export function confStateEqual(a: ConfState, b: ConfState): boolean {
  return sameMembers(a.voters, b.voters) && sameMembers(a.learners, b.learners);
}

function sameMembers(a: NodeId[], b: NodeId[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

export function describeConfState(cs: ConfState): string {
  const voters = [...cs.voters].sort().join(' ');
  const learners = [...cs.learners].sort().join(' ');
  return learners ? `voters=(${voters}) learners=(${learners})` : `voters=(${voters})`;
}
