// Reading time: visible, active time from the image being shown to submission.
//
// The clock runs only while the page is visible (Page Visibility API) and the reader has touched mouse, keyboard
// or wheel within the last IDLE_MS; a hidden tab or a reader gone for coffee does not count. What it measured is
// reported to the server every REPORT_MS, when the page is hidden or left (fetch keepalive), and with the read.
// The server adds each report to the case's stored total, clamped to the wall time since the previous report, so
// a reload resumes the total instead of restarting it, and nothing can be counted twice.

export const IDLE_MS = 120_000;
const REPORT_MS = 10_000;
const TICK_MS = 500;

export class ReadingClock {
  /** @param {(visibleMs: number, keepalive: boolean) => Promise<unknown>} report */
  constructor(report) {
    this.report = report;
    this.pendingMs = 0;
    this.lastInput = performance.now();
    this.lastTick = performance.now();
    this.running = false;
    this.onActivity = () => { this.lastInput = performance.now(); };
    this.onHide = () => { this.tick(); if (document.visibilityState === 'hidden') this.flush(true); };
    this.onLeave = () => { this.tick(); this.flush(true); };
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel']) window.addEventListener(type, this.onActivity, { passive: true });
    document.addEventListener('visibilitychange', this.onHide);
    window.addEventListener('pagehide', this.onLeave);
  }

  counting() {
    return document.visibilityState === 'visible' && performance.now() - this.lastInput < IDLE_MS;
  }

  /** Called once the image is on screen: the server records that moment as "first shown". */
  async start() {
    this.running = true;
    this.lastTick = performance.now();
    this.lastInput = performance.now();
    await this.report(0, false);
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.reportTimer = setInterval(() => this.flush(false), REPORT_MS);
  }

  tick() {
    const now = performance.now();
    // A throttled or suspended tab ticks late: never credit more than two ticks at once.
    const delta = Math.min(now - this.lastTick, 2 * TICK_MS);
    if (this.running && this.counting()) this.pendingMs += delta;
    this.lastTick = now;
  }

  async flush(keepalive) {
    if (!this.running || this.pendingMs <= 0) return;
    const ms = this.pendingMs;
    this.pendingMs = 0;
    try {
      await this.report(ms, keepalive);
    } catch {
      this.pendingMs += ms; // try again with the next report
    }
  }

  /** Stops the clock and hands over what has not been reported yet (sent with the read). */
  stop() {
    this.tick();
    this.running = false;
    clearInterval(this.tickTimer);
    clearInterval(this.reportTimer);
    const ms = this.pendingMs;
    this.pendingMs = 0;
    return ms;
  }

  destroy() {
    this.stop();
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel']) window.removeEventListener(type, this.onActivity);
    document.removeEventListener('visibilitychange', this.onHide);
    window.removeEventListener('pagehide', this.onLeave);
  }
}
