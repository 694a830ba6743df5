/**
 * Runs `tick` every `intervalMs` in the background, never two at once: a slow tick delays the
 * next instead of stacking on it. `stop()` waits for a running tick to end.
 */
export function startPolling(intervalMs: number, tick: () => Promise<unknown>, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = tick()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
