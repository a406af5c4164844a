/**
 * `keepalived-ts --status[=CMD]`: a client of a running daemon's control socket.
 * `status` prints a table; `json`, `stats`, `data`, `stats-clear` print the dump text; `reload` waits for the
 * reload to finish. Exit status 0 on success, 1 when the daemon cannot be reached or refuses.
 */
import { controlRequest } from '../daemon/control.js';
import { renderStatusTable } from '../daemon/status-table.js';

/** Runs one control command against `socketPath` and prints the answer. */
export async function runStatusClient(socketPath: string, command: string): Promise<number> {
  const reply = await controlRequest(socketPath, command, command === 'reload' ? 60_000 : 10_000);
  if (!reply.ok) {
    process.stderr.write(`keepalived-ts: ${reply.error}\n`);
    return 1;
  }
  if (reply.status) process.stdout.write(renderStatusTable(reply.status, Date.now()));
  else if (reply.text !== undefined) process.stdout.write(reply.text);
  else process.stdout.write(`${command}: ok\n`);
  return 0;
}
