// Min-heap of nodes by expire time, the same algorithm as Go's container/heap
// (which etcd's ttlKeyHeap uses), so keys with equal expire times expire in
// the same order as in etcd given the same sequence of operations.

import type { Node } from './node.js';

export class TtlHeap {
  private readonly a: Node[] = [];

  get size(): number {
    return this.a.length;
  }

  top(): Node | undefined {
    return this.a[0];
  }

  push(n: Node): void {
    n.heapIndex = this.a.length;
    this.a.push(n);
    this.up(this.a.length - 1);
  }

  pop(): Node | undefined {
    const n = this.a.length - 1;
    if (n < 0) return undefined;
    this.swap(0, n);
    this.down(0, n);
    return this.removeLast();
  }

  /** Re-position after the node's expire time changed (etcd: Remove then Push). */
  update(node: Node): void {
    if (node.heapIndex < 0) return;
    this.remove(node);
    this.push(node);
  }

  remove(node: Node): void {
    const i = node.heapIndex;
    if (i < 0 || this.a[i] !== node) return;
    const n = this.a.length - 1;
    if (n !== i) {
      this.swap(i, n);
      if (!this.down(i, n)) this.up(i);
    }
    this.removeLast();
  }

  /** Nodes in heap-array order (for tests and diagnostics). */
  nodes(): readonly Node[] {
    return this.a;
  }

  private removeLast(): Node | undefined {
    const x = this.a.pop();
    if (x !== undefined) x.heapIndex = -1;
    return x;
  }

  private less(i: number, j: number): boolean {
    // Both are in the heap, so both have expire times.
    return (this.a[i]?.expireTime ?? 0n) < (this.a[j]?.expireTime ?? 0n);
  }

  private swap(i: number, j: number): void {
    const x = this.a[i];
    const y = this.a[j];
    if (x === undefined || y === undefined) throw new Error('ttl heap: swap out of range');
    this.a[i] = y;
    this.a[j] = x;
    y.heapIndex = i;
    x.heapIndex = j;
  }

  private up(j: number): void {
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !this.less(j, i)) break;
      this.swap(i, j);
      j = i;
    }
  }

  private down(i0: number, n: number): boolean {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.less(j2, j1)) j = j2;
      if (!this.less(j, i)) break;
      this.swap(i, j);
      i = j;
    }
    return i > i0;
  }
}
