/** Runs once per `node --test` run: says which optional suites this run leaves out. */
export async function globalSetup(): Promise<void> {
  const missing = [
    !process.env.TEST_DATABASE_URL && 'Postgres (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)',
    !process.env.TEST_REDIS_URL && 'Redis (set TEST_REDIS_URL=redis://127.0.0.1:6379)',
  ].filter(Boolean);
  if (missing.length > 0) console.log(`# skipping suites for: ${missing.join('; ')}. CI runs them.`);
}
