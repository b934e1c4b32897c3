// The shapes the v2 API answers with, as the client hands them to callers.

/** A key or directory. Fields absent in etcd's JSON stay undefined. */
export interface Node {
  key?: string;
  value?: string;
  dir?: boolean;
  /** RFC3339Nano, as etcd sent it. */
  expiration?: string;
  /** Remaining seconds, rounded up by the server. */
  ttl?: number;
  nodes?: Node[];
  modifiedIndex?: number;
  createdIndex?: number;
}

/** A keys API answer: the event, plus what the headers said. */
export interface KeysResponse {
  action: string;
  node?: Node;
  prevNode?: Node;
  /** X-Etcd-Index: the store index when the request was handled (watch: when it started). */
  index: number;
  /** X-Raft-Index and X-Raft-Term, when sent (successful non-watch requests). */
  raftIndex?: number;
  raftTerm?: number;
  clusterId: string;
  /** The HTTP status (200, or 201 for a created key). */
  status: number;
}

export interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export interface Versions {
  etcdserver: string;
  etcdcluster: string;
}

export interface SelfStats {
  name: string;
  id: string;
  state: string;
  startTime: string;
  leaderInfo: { leader: string; uptime: string; startTime: string };
  recvAppendRequestCnt: number;
  sendAppendRequestCnt: number;
  recvPkgRate?: number;
  recvBandwidthRate?: number;
  sendPkgRate?: number;
  sendBandwidthRate?: number;
}

export interface FollowerStats {
  latency: { current: number; average: number; standardDeviation: number; minimum: number; maximum: number };
  counts: { fail: number; success: number };
}

export interface LeaderStats {
  leader: string;
  followers: Record<string, FollowerStats>;
}

export type StoreStats = Record<string, number>;

/** What one endpoint's /health said. */
export interface Health {
  healthy: boolean;
  endpoint: string;
}
