// Member and cluster IDs exactly as etcd computes them
// (etcdserver/api/membership/member.go computeMemberId, cluster.go genID),
// so a cluster bootstrapped with the same flags gets the same IDs as etcd and
// tools that print them show the same values. IDs are 64-bit; we keep them as
// lowercase hex without leading zeros, etcd's own printed form.
import { createHash } from 'node:crypto';

/** types.ID.String(): lowercase hex, no leading zeros. */
export function idToHex(id: bigint): string {
  return id.toString(16);
}

export function hexToId(hex: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  return BigInt(`0x${hex}`);
}

function first8BigEndian(hash: Buffer): bigint {
  return hash.readBigUInt64BE(0);
}

/**
 * SHA-1 over the sorted peer URLs joined with no separator, then the cluster
 * token, then (for members added at runtime) the Unix seconds of the add.
 */
export function computeMemberId(peerURLs: readonly string[], clusterToken: string, addedAtUnixSeconds?: number): string {
  let s = [...peerURLs].sort().join('') + clusterToken;
  if (addedAtUnixSeconds !== undefined) s += String(addedAtUnixSeconds);
  return idToHex(first8BigEndian(createHash('sha1').update(s, 'utf8').digest()));
}

/** SHA-1 over the member IDs in ascending numeric order, 8 bytes big-endian each. */
export function computeClusterId(memberIds: readonly string[]): string {
  const ids = memberIds.map((h) => hexToId(h) ?? 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i));
  return idToHex(first8BigEndian(createHash('sha1').update(buf).digest()));
}
