// The parts of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Percentiles {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    headers?: Record<string, string>;
    body?: string;
    timeout?: number;
    warmup?: { connections?: number; duration?: number };
    /** Requests a connection sends in turn; `setupRequest` rewrites each one as it is sent. */
    requests?: Array<{ setupRequest?: (request: Request) => Request }>;
  }
  interface Request {
    path: string;
    [field: string]: unknown;
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Percentiles & { totalCount: number };
    requests: Percentiles & { total: number; sent: number };
  }
  /** A run's own figures, its histograms still encoded: what `aggregateResult` merges. */
  interface RawResult {
    duration: number;
    totalCompletedRequests: number;
  }
  function autocannon(options: Options & { skipAggregateResult: true }): Promise<RawResult>;
  function autocannon(options: Options): Promise<Result>;
  namespace autocannon {
    /** Several runs' raw results as one result: latency percentiles over all their requests. */
    function aggregateResult(results: RawResult[], options: { url: string; connections: number }): Result;
  }
  export default autocannon;
  export type { Options, RawResult, Request, Result };
}
