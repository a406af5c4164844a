/** The `Command line:` log lines keepalived writes at start (`lib/scheduler.c log_command_line`). */

/** keepalived's `log_options`: `Command line: …` wrapped at 100 columns on spaces. */
export function commandLineLines(words: readonly string[]): string[] {
  const text = words.map((w) => `'${w}'`).join(' ');
  const label = 'Command line';
  const max = 100 - label.length;
  const lines: string[] = [];
  let p = 0;
  while (p < text.length) {
    while (text[p] === ' ') p++;
    if (p >= text.length) break;
    let end = text.length;
    if (text.length - p > max) {
      end = p + max;
      if (text[end] !== ' ') {
        let e = end;
        while (e > p && text[--e] !== ' ');
        end = e > p ? e : p + max;
      }
    }
    const chunk = text.slice(p, end);
    lines.push(lines.length === 0 ? `${label}: ${chunk}` : `${' '.repeat(label.length + 2)}${chunk}`);
    p = end;
  }
  return lines;
}
