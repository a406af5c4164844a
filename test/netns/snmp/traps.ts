/**
 * The snmptrapd log the SNMP netns tests read (snmptrapd `-On -F 'TRAP %v\n'`): one line per notification.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Notifications in a snmptrapd log, our MIBs only, without sysUpTime: their objects joined with ` | `. */
export function traps(file: string): string[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return text
    .split('\n')
    .filter((l) => l.startsWith('TRAP ') && /OID: \.1\.3\.6\.1\.(4\.1\.9586|2\.1\.68|2\.1\.207)\./.test(l))
    .map((l) =>
      l
        .slice(5)
        .split('\t')
        .filter((v) => !v.startsWith('.1.3.6.1.2.1.1.3.0 '))
        .map((v) => v.trim())
        .join(' | '),
    );
}
