/**
 * Splits a body holding several top-level JSON values (concatenated or newline-delimited) into the
 * parsed values. Throws SyntaxError on malformed input. Used for examine, whose response is either
 * concatenated objects (docs) or NDJSON lines (testrunner) — docs/backup-service-api.md §5.12.
 */
export function parseJsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (start < 0) {
      if (/\s/.test(ch)) continue;
      start = i;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '{' || ch === '[') {
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) throw new SyntaxError(`unbalanced '${ch}' at ${i}`);
    }
    if (depth === 0 && !inString && endsValue(text, start, i)) {
      values.push(JSON.parse(text.slice(start, i + 1)));
      start = -1;
    }
  }
  if (start >= 0) throw new SyntaxError('truncated JSON sequence');
  return values;
}

/** Whether the top-level value that began at `start` ends at `i` (depth is already 0 and no string is open). */
function endsValue(text: string, start: number, i: number): boolean {
  const first = text[start];
  const ch = text[i];
  if (first === '{' || first === '[') return ch === '}' || ch === ']';
  if (first === '"') return i > start && ch === '"';
  // A bare scalar (number, true, false, null) runs until whitespace, a new value, or the end.
  const next = text[i + 1];
  return next === undefined || /[\s{["]/.test(next);
}
