/** User and group database look-ups (passwd(5) and group(5) texts), shared by script security and `-t`. */

/** uid/gid pair a script runs as. */
export interface ScriptIds {
  readonly uid: number;
  readonly gid: number;
}

/** Looks `name` up in a passwd(5)-format text; returns uid and primary gid. Numeric names are accepted. */
export function lookupUser(name: string, passwdText: string): ScriptIds | undefined {
  for (const line of passwdText.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** Looks a group name up in a group(5)-format text. */
export function lookupGroup(name: string, groupText: string): number | undefined {
  for (const line of groupText.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3) return Number(f[2]);
  }
  return undefined;
}
