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
