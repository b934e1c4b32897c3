// Go's text/tabwriter as fleetctl configures it (minwidth 0, tabwidth 8,
// padding 1, padchar '\t', flags 0): cells are tab-terminated, each column
// block is as wide as its widest cell plus one, rounded up to a tab stop, and
// the padding is written as tabs. Pure: text in, text out.

const TAB_WIDTH = 8;
const PADDING = 1;

interface Cell {
  text: string;
  width: number;
}

/** Width as Go counts it for tabwriter: runes (code points). */
function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Splits text into lines of cells; the last cell of a line is the text after its last tab. */
function cellsOf(text: string): Cell[][] {
  const lines = text.split('\n').map((line) => line.split('\t').map((t) => ({ text: t, width: runeWidth(t) })));
  // At Flush, an empty unterminated cell at the very end is not a cell at all.
  const last = lines[lines.length - 1]!;
  if (last[last.length - 1]!.text === '') last.pop();
  return lines;
}

function padding(textWidth: number, cellWidth: number): string {
  const rounded = Math.ceil(cellWidth / TAB_WIDTH) * TAB_WIDTH;
  const n = rounded - textWidth;
  return '\t'.repeat(Math.ceil(n / TAB_WIDTH));
}

/**
 * Formats everything written before a Flush. The input is what fleetctl
 * writes (lines ending in "\n"); the output has the same line structure.
 */
export function tabwrite(text: string): string {
  const lines = cellsOf(text);
  const widths: number[] = [];
  let out = '';

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out += c.text;
        // Only tab-terminated cells (all but the last) are padded to their column.
        if (j < line.length - 1 && j < widths.length) out += padding(c.width, widths[j]!);
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  // Column blocks: runs of consecutive lines that have a tab-terminated cell
  // in this column; each is sized on its own, recursively for the next column.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let width = 0;
      for (; i < line1; i++) {
        const line = lines[i]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + PADDING);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--; // the outer loop's i++ must not skip the line that ended the block
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
