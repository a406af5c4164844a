/**
 * Typed access to the project's Node-API addon (packages/sysio): generic socket syscalls, a readiness watcher,
 * and the scheduling/limit/memory-lock calls of src/daemon/priorities.ts. Everything protocol-specific lives in
 * TypeScript above this file.
 */
import { createRequire } from 'node:module';
import type * as SysioModule from '@keepalived-ts/sysio';

/** The addon's API (see packages/sysio/index.d.ts). */
export type Sysio = typeof SysioModule;

/** The addon, loaded once per process (a native module is per-process anyway; it holds no state). */
export const sysio: Sysio = createRequire(import.meta.url)('@keepalived-ts/sysio') as Sysio;

/** Named constants from the C headers (AF_*, SOL_*, IP_*, …). */
export const K = sysio.constants;

/** uv_poll event bits. */
export const UV_READABLE = 1;
/** uv_poll event bits. */
export const UV_WRITABLE = 2;

/** An error thrown by the addon: `code` is the errno name, `syscall` the failing call. */
export interface SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
}

/** True when `e` is an addon error (it carries code, errno and syscall). */
export function isSysError(e: unknown): e is SysError {
  return e instanceof Error && typeof (e as Partial<SysError>).errno === 'number' && typeof (e as Partial<SysError>).syscall === 'string';
}
