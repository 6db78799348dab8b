/**
 * Until SIGINT or SIGTERM, for commands that keep going (`status --watch`, `logs --follow`):
 * `stopped` turns true and a pending `sleep` ends at once, so Ctrl-C ends the loop at once, not
 * after its interval, and the command exits 0.
 */
export class Interrupt {
  stopped = false;
  private wake?: () => void;

  constructor() {
    const stop = () => {
      this.stopped = true;
      this.wake?.();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
}
