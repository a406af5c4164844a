/**
 * The real DatagramSender: socket(AF_UNIX, SOCK_DGRAM) + sendto through the sysio addon (packages/sysio:
 * `socket(family, type, protocol)`, `sendto(fd, data, sockaddr)`, `close(fd)`, throwing errors with an errno
 * `code`). Loaded dynamically: when the addon cannot be loaded, `sysioDatagramSender()` returns the unavailable
 * sender and callers fall back.
 */
import { unavailableSender, type DatagramSender, type SendResult } from '../daemon/datagram.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
/** sizeof(sun_path) on Linux. */
const SUN_PATH_MAX = 108;

/** The part of the sysio addon this sender uses. */
export interface SysioUnixApi {
  socket(family: number, type: number, protocol: number): number;
  sendto(fd: number, data: Uint8Array, sockaddr?: Uint8Array, flags?: number): number;
  close(fd: number): void;
}

/**
 * Encodes a `struct sockaddr_un` for `path`: sun_family (host order, little-endian on Linux/x86 and arm64)
 * then the path with its NUL; `@name` is an abstract address (leading NUL, no terminator), as systemd uses.
 * Undefined when the path does not fit.
 */
export function sockaddrUn(path: string): Uint8Array | undefined {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path, 'utf8');
  const pathLen = abstract ? 1 + name.length : name.length + 1;
  if (pathLen > SUN_PATH_MAX || (!abstract && name.length === 0)) return undefined;
  const out = Buffer.alloc(2 + pathLen);
  out.writeUInt16LE(AF_UNIX, 0);
  name.copy(out, abstract ? 3 : 2);
  return out;
}

/** A sender over an already loaded addon: one unbound datagram socket shared by every destination. */
export function senderFromSysio(api: SysioUnixApi): DatagramSender {
  let fd: number | undefined;
  try {
    fd = api.socket(AF_UNIX, SOCK_DGRAM, 0);
  } catch {
    return unavailableSender();
  }
  return {
    available: true,
    send(path: string, data: Uint8Array): SendResult {
      const addr = sockaddrUn(path);
      if (!addr) return { ok: false, error: `ENAMETOOLONG: ${path}` };
      if (fd === undefined) return { ok: false, error: 'EBADF: sender closed' };
      try {
        api.sendto(fd, data, addr);
        return { ok: true };
      } catch (e) {
        const err = e as { code?: string; message?: string };
        return { ok: false, error: err.code ?? err.message ?? String(e) };
      }
    },
    close(): void {
      if (fd === undefined) return;
      try {
        api.close(fd);
      } catch {
        /* already closed */
      }
      fd = undefined;
    },
  };
}

/** Loads the sysio addon and builds a sender; the unavailable sender when the addon cannot be loaded. */
export async function sysioDatagramSender(specifier = '@keepalived-ts/sysio'): Promise<DatagramSender> {
  try {
    const mod = (await import(specifier)) as Partial<SysioUnixApi> & { default?: Partial<SysioUnixApi> };
    const api = typeof mod.socket === 'function' ? mod : mod.default;
    if (!api || typeof api.socket !== 'function' || typeof api.sendto !== 'function' || typeof api.close !== 'function') {
      return unavailableSender();
    }
    return senderFromSysio(api as SysioUnixApi);
  } catch {
    return unavailableSender();
  }
}
