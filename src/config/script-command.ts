/** Script command lines (`notify_*`, `script`, `*_fifo_script`): the command as written, with optional user and group. */
import type { DiagnosticSink } from './diagnostics.js';
import type { ScriptCommand } from './model.js';
import type { ConfNode } from './tree.js';
import { missingArgPos } from './values.js';

/** The first word and the rest of a `notify_*`/`script` line, with optional user and group. */
export function readScript(node: ConfNode, d: DiagnosticSink): ScriptCommand | undefined {
  const [cmd, user, group] = node.args;
  if (!cmd) {
    d.error(missingArgPos(node), `${node.keyword.text}: missing script`);
    return undefined;
  }
  return { command: cmd.text, pos: cmd.pos, ...(user ? { user: user.text } : {}), ...(group ? { group: group.text } : {}) };
}
