// The transcript file format, in the style of etcd-io/raft's datadriven
// tests:
//
//   # comment lines say what the next block shows
//   command arg key=value key=(a b)
//   ----
//   expected output, one or more lines
//   <blank line>
//
// Expected output never contains a blank line (a command with nothing to
// say prints "ok"), so a blank line always ends a block.

export interface Block {
  /** Comment lines (with their '#') and blank lines before the command, kept for rewriting. */
  preamble: string[];
  command: string;
  /** 1-based line of the command in the file, for error messages. */
  line: number;
  expected: string;
}

export interface Script {
  blocks: Block[];
  /** Comments after the last block. */
  trailer: string[];
}

export function parseScript(text: string, name: string): Script {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const blocks: Block[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      preamble.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    if (lines[i + 1] !== '----') throw new Error(`${name}:${commandLine}: expected '----' after command '${line}'`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]!);
    blocks.push({ preamble, command: line, line: commandLine, expected: expected.join('\n') });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

/** The file text with each block's expected output replaced by `outputs[i]`. */
export function formatScript(script: Script, outputs: string[]): string {
  const out: string[] = [];
  script.blocks.forEach((b, i) => {
    out.push(...b.preamble, b.command, '----', outputs[i]!);
    // Keep exactly one blank line after each block.
    const next = script.blocks[i + 1]?.preamble ?? script.trailer;
    if (next[0] !== '') out.push('');
  });
  out.push(...script.trailer);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export interface Command {
  name: string;
  /** Bare words after the name, in order. */
  positional: string[];
  /** key=value and key=(a b c) arguments. A list value keeps its items. */
  named: Map<string, string[]>;
}

/** Split "cmd a b k=v k=(x y)" into its parts; parentheses group a list. */
export function parseCommand(line: string): Command {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur) tokens.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (depth !== 0) throw new Error(`unbalanced parentheses in '${line}'`);
  if (cur) tokens.push(cur);
  const [name, ...rest] = tokens;
  if (name === undefined) throw new Error('empty command');
  const positional: string[] = [];
  const named = new Map<string, string[]>();
  for (const t of rest) {
    const eq = t.indexOf('=');
    if (eq < 0) {
      positional.push(t);
      continue;
    }
    const value = t.slice(eq + 1);
    named.set(t.slice(0, eq), value.startsWith('(') ? listItems(value) : [value]);
  }
  return { name, positional, named };
}

/** "(1 2 3)" or "(1,2,3)" → ['1','2','3']; "()" → []. */
export function listItems(value: string): string[] {
  if (!value.startsWith('(') || !value.endsWith(')')) throw new Error(`expected a list in parentheses, got '${value}'`);
  return value
    .slice(1, -1)
    .split(/[\s,]+/)
    .filter((s) => s !== '');
}
