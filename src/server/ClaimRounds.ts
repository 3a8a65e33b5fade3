/**
 * Runs a claim round at most once at a time. A wake() while a round runs asks for one more round after it, so work
 * queued meanwhile is never missed; a round that loops calls `absorbWakes()` before each claim, because that claim
 * looks at the queue anyway. Shared by the job runner and the result deliverer.
 */
export class ClaimRounds {
  private running = false;
  private again = false;

  constructor(
    private readonly round: () => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  wake(): void {
    if (this.stopped()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.round().finally(() => {
      this.running = false;
      if (this.again && !this.stopped()) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Wakes received so far are answered by the claim the round is about to make. */
  absorbWakes(): void {
    this.again = false;
  }
}
