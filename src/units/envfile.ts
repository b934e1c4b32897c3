// The contents of an EnvironmentFile=, read as systemd 252 reads them
// (systemd.exec(5) EnvironmentFile=, env-file.c): `KEY=value` lines; `#`/`;`
// comments; lines without `=` ignored; an unquoted value keeps interior
// blanks, drops leading/trailing ones, and a backslash keeps the next
// character (a backslash-newline joins lines); '…' is verbatim and may span
// lines; "…" may span lines and unescapes only \" \\ \` \$ (and joins on
// backslash-newline), keeping any other backslash. Reading the file is the
// caller's job; this only parses its text.

import { isValidEnvName } from './exec.js';

export interface EnvironmentFileResult {
  /** Assignments in effect, in order; a later one for the same name wins. */
  env: Record<string, string>;
  /** Assignments dropped for an invalid name, as `KEY=value`, for the caller to log. */
  invalid: string[];
}

const NEWLINE = '\n\r';
const WHITESPACE = ' \t\n\r';
const SHELL_NEED_ESCAPE = '"\\`$';

type State =
  | 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment' | 'commentEscape';

export function parseEnvironmentFile(text: string): EnvironmentFileResult {
  const env: Record<string, string> = {};
  const invalid: string[] = [];
  let state: State = 'preKey';
  let key = '';
  let value = '';
  // Where trailing blanks began (to chop them), or -1.
  let keyWs = -1;
  let valueWs = -1;

  const push = (chopValue: boolean): void => {
    const k = keyWs >= 0 ? key.slice(0, keyWs) : key;
    const v = chopValue && valueWs >= 0 ? value.slice(0, valueWs) : value;
    if (isValidEnvName(k)) {
      delete env[k];
      env[k] = v;
    } else invalid.push(`${k}=${v}`);
    key = '';
    value = '';
  };

  for (const c of text.replace(/^\uFEFF/, '')) {
    switch (state) {
      case 'preKey':
        if (c === '#' || c === ';') state = 'comment';
        else if (!WHITESPACE.includes(c)) {
          state = 'key';
          keyWs = -1;
          key = c;
        }
        break;
      case 'key':
        if (NEWLINE.includes(c)) {
          state = 'preKey'; // no "=": the line is ignored
          key = '';
        } else if (c === '=') {
          state = 'preValue';
          valueWs = -1;
        } else {
          if (!WHITESPACE.includes(c)) keyWs = -1;
          else if (keyWs < 0) keyWs = key.length;
          key += c;
        }
        break;
      case 'preValue':
        if (NEWLINE.includes(c)) {
          state = 'preKey';
          push(false);
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'valueEscape';
        else if (!WHITESPACE.includes(c)) {
          state = 'value';
          value += c;
        }
        break;
      case 'value':
        if (NEWLINE.includes(c)) {
          state = 'preKey';
          push(true);
        } else if (c === '\\') {
          state = 'valueEscape';
          valueWs = -1;
        } else {
          if (!WHITESPACE.includes(c)) valueWs = -1;
          else if (valueWs < 0) valueWs = value.length;
          value += c;
        }
        break;
      case 'valueEscape':
        state = 'value';
        if (!NEWLINE.includes(c)) value += c; // an escaped newline is dropped
        break;
      case 'single':
        if (c === "'") state = 'preValue';
        else value += c;
        break;
      case 'double':
        if (c === '"') state = 'preValue';
        else if (c === '\\') state = 'doubleEscape';
        else value += c;
        break;
      case 'doubleEscape':
        state = 'double';
        if (SHELL_NEED_ESCAPE.includes(c)) value += c;
        else if (c !== '\n') value += '\\' + c;
        break;
      case 'comment':
        if (c === '\\') state = 'commentEscape';
        else if (NEWLINE.includes(c)) state = 'preKey';
        break;
      case 'commentEscape':
        // In systemd 252 a backslash at the end of a comment line continues the comment.
        state = 'comment';
        break;
    }
  }
  if (state === 'value') push(true);
  else if (['preValue', 'valueEscape', 'single', 'double', 'doubleEscape'].includes(state)) push(false);
  return { env, invalid };
}
