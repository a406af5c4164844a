/**
 * The "datagram sender" port: send one datagram to an AF_UNIX SOCK_DGRAM socket by path.
 *
 * syslog (`/dev/log`) and systemd's `NOTIFY_SOCKET` are unix datagram sockets, which Node.js cannot open
 * (node:dgram is UDP only). The native addon (packages/sysio) provides socket(AF_UNIX, SOCK_DGRAM) + sendto
 * (src/net/unix-dgram.ts); when it cannot be loaded, `unavailableSender()` reports that it cannot send and the
 * callers fall back.
 */

/** Result of one send: ok, or an errno-style reason. Never thrown. */
export type SendResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Sends single datagrams to unix socket paths. Implementations must never throw. */
export interface DatagramSender {
  /** False when this platform/build cannot send unix datagrams at all (callers then use their fallback). */
  readonly available: boolean;
  /**
   * Sends `data` to the AF_UNIX datagram socket at `path`. A path starting with `@` names an abstract socket
   * (systemd's convention for NOTIFY_SOCKET).
   */
  send(path: string, data: Uint8Array): SendResult;
  /** Releases the underlying socket, if any. */
  close(): void;
}

/** A sender that cannot send: the fallback when the native addon cannot be loaded. */
export function unavailableSender(): DatagramSender {
  return {
    available: false,
    send: () => ({ ok: false, error: 'EAFNOSUPPORT: unix datagram sockets need the sysio addon' }),
    close: () => {},
  };
}

/** A sender that records datagrams in memory, for tests. */
export class MemorySender implements DatagramSender {
  readonly available = true;
  /** Every datagram sent, oldest first. */
  readonly sent: { path: string; text: string }[] = [];
  /** When set, every send fails with this error. */
  failWith: string | undefined;

  send(path: string, data: Uint8Array): SendResult {
    if (this.failWith) return { ok: false, error: this.failWith };
    this.sent.push({ path, text: Buffer.from(data).toString('utf8') });
    return { ok: true };
  }

  close(): void {}
}
