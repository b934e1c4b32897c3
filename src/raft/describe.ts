// Compact, stable one-line forms of messages and entries, for traces and the
// transcript tests: the same state always prints the same way.
import { decodeConfChange } from './confchange.js';
import type { Entry, Message } from './types.js';

const decoder = new TextDecoder();

function printable(data: Uint8Array): string {
  const text = decoder.decode(data);
  // Show text payloads as text; anything else by size.
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `<${data.length} bytes>`;
}

export function describeEntry(e: Entry): string {
  if (e.type === 'confChange') {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} ${cc.type} ${cc.nodeId}`;
  }
  return e.data.length === 0 ? `${e.term}/${e.index} empty` : `${e.term}/${e.index} ${printable(e.data)}`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from || '-'}->${m.to || '-'} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      s += ` Log:${m.logTerm}/${m.index} Commit:${m.commit}`;
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(', ')}]`;
      return s;
    case 'MsgAppResp':
      if (m.reject) return `${s} Rejected (Hint: ${m.rejectHint}/${m.logTerm}) Index:${m.index}`;
      return `${s} Index:${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      s += ` Log:${m.logTerm}/${m.index}`;
      return m.context.length > 0 ? `${s} (transfer)` : s;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return m.reject ? `${s} Rejected` : s;
    case 'MsgHeartbeat':
      s += ` Commit:${m.commit}`;
      return m.context.length > 0 ? `${s} Ctx:${printable(m.context)}` : s;
    case 'MsgHeartbeatResp':
      return m.context.length > 0 ? `${s} Ctx:${printable(m.context)}` : s;
    case 'MsgSnap': {
      const md = m.snapshot!.metadata;
      return `${s} Snapshot: Index:${md.index} Term:${md.term} Voters:[${md.confState.voters.join(' ')}]` +
        (md.confState.learners.length > 0 ? ` Learners:[${md.confState.learners.join(' ')}]` : '');
    }
    case 'MsgProp':
      return `${s} Entries:[${m.entries.map(describeEntry).join(', ')}]`;
    case 'MsgReadIndex':
      return `${s} Ctx:${printable(m.context)}`;
    case 'MsgReadIndexResp':
      return `${s} Index:${m.index} Ctx:${printable(m.context)}`;
    default:
      return s;
  }
}
