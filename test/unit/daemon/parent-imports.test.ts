import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/unit/daemon). */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Source files a module loads at run time: static value imports and re-exports (type-only ones are erased). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?'(\.[^']+)'/gms)) {
    const ts = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
    if (existsSync(ts)) out.push(ts);
  }
  return out;
}

/** Every source file `entry` loads, transitively (dynamic `import()` not followed). */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...runtimeImports(f));
  }
  return new Set([...seen].map((f) => relative(ROOT, f)));
}

test('the supervising parent stays small: no VRRP, checker or probe code is loaded in it', () => {
  // main.ts imports the supervisor (parent.ts) dynamically, on the daemon path only
  const loaded = new Set([...closure(join(ROOT, 'src/cli/main.ts')), ...closure(join(ROOT, 'src/cli/parent.ts'))]);
  assert.ok(
    loaded.has('src/daemon/supervisor.ts') && loaded.has('src/daemon/release.ts') && loaded.has('src/config/index.ts'),
    [...loaded].join('\n'),
  );
  // src/runtime/vrrp/routes.ts is the pure config → rtnetlink spec mapping the cleanup shares with the runtime
  const forbidden = [...loaded].filter((f) => /^src\/(vrrp|check|probe|track|notify|runtime)\//.test(f) && f !== 'src/runtime/vrrp/routes.ts');
  assert.deepEqual(forbidden, []);
  assert.equal(loaded.has('src/cli/child.ts'), false, 'the child entry is imported dynamically, by children only');
  const child = closure(join(ROOT, 'src/cli/child.ts'));
  // each role's runtime is imported dynamically by src/cli/roles.ts: a child loads only its own role's runtime
  assert.equal(child.has('src/runtime/vrrp/linux-runtime.ts') || child.has('src/runtime/check/runtime.ts'), false, [...child].join('\n'));
  const vrrpChild = new Set([...child, ...closure(join(ROOT, 'src/runtime/vrrp/linux-runtime.ts'))]);
  assert.ok(vrrpChild.has('src/vrrp/fsm.ts'), 'the check itself sees runtime code where it is loaded');
  assert.deepEqual(
    [...vrrpChild].filter((f) => /^src\/(check|lb|runtime\/check)\//.test(f)),
    [],
    'the VRRP child loads no checker or LB code',
  );
});

test('a child loads nodemailer, prom-client, the DBus library and the HTTP endpoint only when it uses them (dynamic import)', () => {
  const child = new Set([
    ...closure(join(ROOT, 'src/cli/child.ts')),
    ...closure(join(ROOT, 'src/runtime/vrrp/linux-runtime.ts')),
    ...closure(join(ROOT, 'src/runtime/check/runtime.ts')),
  ]);
  assert.ok(child.has('src/notify/smtp.ts') && child.has('src/daemon/daemon.ts'), [...child].join('\n'));
  assert.equal(child.has('src/observe/server.ts') || child.has('src/observe/metrics.ts'), false);
  const heavy = [...child].filter((f) =>
    /^import\s+(?!type\b)[^;]*?from\s+'(nodemailer|prom-client|@jellybrick\/dbus-next)'/ms.test(readFileSync(join(ROOT, f), 'utf8')),
  );
  assert.deepEqual(heavy, []);
  // enable_dbus: the DBus service (and its library) only through the daemon's dynamic import
  assert.equal(child.has('src/observe/dbus/service.ts'), false);
  assert.match(readFileSync(join(ROOT, 'src/daemon/daemon.ts'), 'utf8'), /await import\('\.\.\/observe\/dbus\/service\.js'\)/);
});
