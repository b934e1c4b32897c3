// Errors the v2 client returns, each a typed value whose message is the text
// the Go client (go.etcd.io/etcd/client, 3.4) would print, so etcdctl can
// show them unchanged.

/** An error answered by etcd itself: `{"errorCode":N,"message":…,"cause":…,"index":N}`. */
export class EtcdError extends Error {
  constructor(
    readonly errorCode: number,
    readonly etcdMessage: string,
    override readonly cause: string,
    readonly index: number,
  ) {
    super(`${errorCode}: ${etcdMessage} (${cause}) [${index}]`);
    this.name = 'EtcdError';
  }

  /** Go's json.Marshal of client.Error (cause is not omitempty there). */
  toJSON(): { errorCode: number; message: string; cause: string; index: number } {
    return { errorCode: this.errorCode, message: this.etcdMessage, cause: this.cause, index: this.index };
  }
}

/** Every endpoint failed; `errors` holds one entry per attempt, in order. */
export class ClusterError extends Error {
  constructor(readonly errors: readonly Error[]) {
    super(
      'client: etcd cluster is unavailable or misconfigured' +
        errors.map((e, i) => `; error #${i}: ${e.message}\n`).join(''),
    );
    this.name = 'ClusterError';
  }

  /** One line per attempt, as etcdctl prints after the error. */
  detail(): string {
    return this.errors.map((e, i) => `error #${i}: ${e.message}\n`).join('');
  }
}

/** A TCP-level failure (refused, reset, unreachable); worth trying the next endpoint. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** No response headers within the per-request timeout. */
export class HeaderTimeoutError extends Error {
  constructor(readonly endpoint: string) {
    super(`client: endpoint ${endpoint} exceeded header timeout`);
    this.name = 'HeaderTimeoutError';
  }
}

/** The call's total timeout passed (Go: context.DeadlineExceeded). */
export class DeadlineExceededError extends Error {
  constructor() {
    super('context deadline exceeded');
    this.name = 'DeadlineExceededError';
  }
}

/** The caller aborted the call (Go: context.Canceled). */
export class CanceledError extends Error {
  constructor() {
    super('context canceled');
    this.name = 'CanceledError';
  }
}

export class NoEndpointsError extends Error {
  constructor() {
    super('client: no endpoints available');
    this.name = 'NoEndpointsError';
  }
}

export class EmptyBodyError extends Error {
  constructor() {
    super('client: response body is empty');
    this.name = 'EmptyBodyError';
  }
}

export class InvalidJSONError extends Error {
  constructor() {
    super('client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint');
    this.name = 'InvalidJSONError';
  }
}

/** A members API refusal with etcd's `{"message":…}` body (409 peerURL exists, 404 no such member). */
export class MembersError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'MembersError';
  }
}

/** A status the API call does not expect (members API), e.g. `unexpected status code 400`. */
export class UnexpectedStatusError extends Error {
  constructor(readonly status: number) {
    super(`unexpected status code ${status}`);
    this.name = 'UnexpectedStatusError';
  }
}

/**
 * True for errors that mean "could not reach the cluster" (etcdctl exits 2 for
 * these). Like the Go client, a header timeout is not one: a member that
 * accepts the connection but never answers is a server problem.
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof ClusterError) return err.errors.every(isConnectionError);
  return err instanceof ConnectionError || err instanceof DeadlineExceededError;
}
