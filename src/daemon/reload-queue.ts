/**
 * One reload at a time, as keepalived's reload handling: a reload asked for while one runs is queued (once, however
 * often it is asked) and runs after it, if the process is still running then. Shared by the single-process Daemon
 * and the Supervisor.
 */
export class ReloadQueue {
  private running: Promise<boolean> | undefined;
  private queued = false;

  /** @param run one reload @param stillRunning whether a queued reload may still start */
  constructor(
    private readonly run: () => Promise<boolean>,
    private readonly stillRunning: () => boolean,
  ) {}

  /** The reload in progress, if any. */
  get current(): Promise<boolean> | undefined {
    return this.running;
  }

  /**
   * Reloads now, or after the one in progress (then `onQueued` is called and the running one's result returned).
   * @returns whether the reload (the last one this call led to) succeeded
   */
  async request(onQueued?: () => void): Promise<boolean> {
    if (this.running) {
      onQueued?.();
      this.queued = true;
      return this.running;
    }
    this.running = this.run();
    const ok = await this.running;
    this.running = undefined;
    if (this.queued && this.stillRunning()) {
      this.queued = false;
      return this.request(onQueued);
    }
    return ok;
  }
}
