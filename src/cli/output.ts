import { styleText } from 'node:util';
import Table from 'cli-table3';
import { dump } from 'js-yaml';

/** `-o` values every command accepts. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One table column; `wide` columns appear only with `-o wide`. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  wide?: boolean;
}

/** Where commands write; injectable so tests capture output. */
export interface Out {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processOut: Out = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

// kubectl's look: no borders, two spaces between columns, headers in capitals.
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '   ',
};

/** Renders rows as a kubectl-style table (trailing spaces trimmed). */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  wide: boolean,
): string {
  const shown = columns.filter((c) => wide || !c.wide);
  const table = new Table({
    head: shown.map((c) => c.header),
    chars: PLAIN_CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const row of rows) table.push(shown.map((c) => c.value(row)));
  return `${table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')}\n`;
}

/** Serialises data for `-o json|yaml`. */
export function renderData(format: 'json' | 'yaml', data: unknown): string {
  return format === 'json'
    ? `${JSON.stringify(data, null, 2)}\n`
    : dump(data, { noRefs: true, lineWidth: -1 });
}

/** Prints a command's result: a table for table/wide, the data itself for json/yaml. */
export function printResult<Row>(
  out: Out,
  format: OutputFormat,
  data: unknown,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  empty = 'No resources found.',
): void {
  if (format === 'json' || format === 'yaml') {
    out.stdout(renderData(format, data));
    return;
  }
  if (rows.length === 0) {
    out.stderr(`${empty}\n`);
    return;
  }
  out.stdout(renderTable(columns, rows, format === 'wide'));
}

type Colour = 'green' | 'red' | 'yellow' | 'gray';

/** Colours text when stdout is a colour terminal (honours NO_COLOR and FORCE_COLOR). */
export function paint(colour: Colour, text: string): string {
  return styleText(colour, text, { stream: process.stdout });
}

/** True/False/Unknown condition status, coloured. */
export function paintStatus(status: string | undefined): string {
  if (status === 'True') return paint('green', 'True');
  if (status === 'False') return paint('red', 'False');
  return paint('yellow', status ?? 'Unknown');
}
