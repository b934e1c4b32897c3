// fleet's API paging: `nextPageToken` (URL-safe base64 of {Limit, Page} as
// little-endian uint16s) and `token_limit` items per page. Pure.

import { decodePageToken, encodePageToken, type PageToken } from './schema.js';

export class PageTokenError extends Error {}

/** findNextPageToken: the token of this request, the first page when absent; throws PageTokenError with fleet's messages. */
export function pageTokenOf(values: readonly string[], limit: number): PageToken {
  if (values.length > 1) throw new PageTokenError('too many values for page token');
  if (values.length === 0) return { limit, page: 1 };
  let tok: PageToken;
  try {
    tok = decodePageToken(values[0]!);
  } catch (e) {
    throw new PageTokenError((e as Error).message);
  }
  if (tok.limit !== limit) throw new PageTokenError(`token limit must be ${limit}`);
  if (tok.page === 0) throw new PageTokenError('token page must be greater than zero');
  return tok;
}

/** The items of one page and the token of the next (when more items follow). */
export function pageOf<T>(all: readonly T[], tok: PageToken): { items: T[]; next?: string } {
  const start = (tok.page - 1) * tok.limit;
  const stop = tok.page * tok.limit;
  if (start >= all.length) return { items: [] };
  if (stop >= all.length) return { items: all.slice(start) };
  return { items: all.slice(start, stop), next: encodePageToken({ limit: tok.limit, page: tok.page + 1 }) };
}

/**
 * The listing a paged collection is cut from. The first page reads the
 * registry; the pages after it reuse that read while it is at most
 * `maxAgeMs` old, so one client's walk through the pages is one consistent
 * view and costs one registry read instead of one per page (fleet re-read
 * everything for every page, and a unit added meanwhile could shift one onto
 * two pages or none). A write through this API drops the listing.
 */
export class ListingCache<T> {
  private last: { at: number; all: readonly T[] } | undefined;

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async listing(page: number, read: () => Promise<readonly T[]>): Promise<readonly T[]> {
    const last = this.last;
    if (page > 1 && last !== undefined && this.now() - last.at <= this.maxAgeMs) return last.all;
    const at = this.now();
    const all = await read();
    this.last = { at, all };
    return all;
  }

  drop(): void {
    this.last = undefined;
  }
}
