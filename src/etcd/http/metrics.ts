// /metrics in the Prometheus text format, with etcd's metric names for what
// a member tracks, so dashboards built for etcd read them.
import type { EtcdServer } from '../server/server.js';

function metric(name: string, type: 'gauge' | 'counter', help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
}

export function formatMetrics(server: EtcdServer): string {
  const st = server.store.stats();
  return [
    metric('etcd_server_has_leader', 'gauge', 'Whether or not a leader exists. 1 is existence, 0 is not.', server.leader === '' ? 0 : 1),
    metric('etcd_server_is_leader', 'gauge', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', server.isLeader ? 1 : 0),
    metric('etcd_server_leader_changes_seen_total', 'counter', 'The number of leader changes seen.', server.counters.leaderChanges),
    metric('etcd_server_proposals_committed_total', 'gauge', 'The total number of consensus proposals committed.', server.committedIndex),
    metric('etcd_server_proposals_applied_total', 'gauge', 'The total number of consensus proposals applied.', server.applied),
    metric('etcd_server_proposals_pending', 'gauge', 'The current number of pending proposals to commit.', server.pendingProposals),
    metric('etcd_server_proposals_failed_total', 'counter', 'The total number of failed proposals seen.', server.counters.proposalsFailed),
    metric('etcd_debugging_store_watchers', 'gauge', 'Count of currently active watchers.', st.watchers),
    metric('etcd_debugging_store_expires_total', 'counter', 'Total number of expired keys.', st.expireCount),
    metric('etcd_network_peer_sent_append_requests_total', 'counter', 'Append requests sent to peers.', server.counters.sendAppendRequestCnt),
    metric('etcd_network_peer_received_append_requests_total', 'counter', 'Append requests received from peers.', server.counters.recvAppendRequestCnt),
  ].join('');
}
