/**
 * systemd readiness notification (sd_notify), as keepalived's `lib/systemd.c`: `READY=1\nMAINPID=<pid>` when
 * startup (and each reload) completes, `RELOADING=1`, `STOPPING=1`, `ERRNO=<n>` on a fatal error.
 * keepalived only notifies when its parent is systemd; we notify whenever `NOTIFY_SOCKET` is set (that is
 * exactly when a service manager asked for it, also under other managers and in tests).
 */
import type { DatagramSender } from './datagram.js';

/** Sends sd_notify messages; a no-op without NOTIFY_SOCKET. Never throws. */
export class SdNotifier {
  constructor(
    private readonly sender: DatagramSender,
    /** The NOTIFY_SOCKET value (path, or `@abstract`); undefined = not under a service manager. */
    private readonly socketPath: string | undefined,
    private readonly pid: number,
  ) {}

  /** True when notifications go somewhere. */
  get enabled(): boolean {
    return !!this.socketPath && this.sender.available;
  }

  /** `READY=1` plus our pid (startup or reload complete). */
  ready(): void {
    this.send(`READY=1\nMAINPID=${this.pid}`);
  }

  /** `RELOADING=1`. */
  reloading(): void {
    this.send('RELOADING=1');
  }

  /** `STOPPING=1`. */
  stopping(): void {
    this.send('STOPPING=1');
  }

  /** `ERRNO=<code>` (keepalived sends the exit code of a child that failed permanently). */
  error(code: number): void {
    this.send(`ERRNO=${code}`);
  }

  private send(text: string): void {
    if (!this.socketPath || !this.sender.available) return;
    try {
      this.sender.send(this.socketPath, Buffer.from(text, 'utf8'));
    } catch {
      // Never throw.
    }
  }
}
