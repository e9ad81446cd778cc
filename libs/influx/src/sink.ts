/**
 * Batched writes to InfluxDB 1.x with bounded memory. `write` hands points over and returns
 * at once while fewer than `maxPending` wait; beyond that it waits for room, which is how a
 * slow or absent InfluxDB pushes back on whoever produces points (the projector, which then
 * stops reading the log — the log, not this buffer, is what keeps every signal). A failed
 * write is retried with back-off until it succeeds or the sink is closed; the database is
 * created on first use (CREATE DATABASE is idempotent in 1.x).
 */
import { InfluxDB, type IPoint } from 'influx';
import { PRECISION, type Point } from '@metatwin/projection';
import type { InfluxTarget } from './target';

export interface SinkOptions {
  /** Points per HTTP write (default 5,000). */
  readonly batchSize?: number;
  /**
   * How long a part-filled batch waits for more points before it is written (default 1 s):
   * every InfluxDB write syncs its WAL, so a few large writes cost far less than many small ones.
   */
  readonly linger_ms?: number;
  /** Points held before `write` waits (default 50,000). */
  readonly maxPending?: number;
  /** Called on each failed attempt (for logs); the write is retried. */
  readonly onError?: (err: Error, attempt: number) => void;
  /** Back-off bounds between retries, ms (default 100 … 2,000). */
  readonly retryMin_ms?: number;
  readonly retryMax_ms?: number;
}

export interface SinkStats {
  /** Points acknowledged by InfluxDB. */
  readonly written: number;
  /** Points waiting to be written. */
  readonly pending: number;
  /** Failed write attempts so far. */
  readonly failures: number;
}

export class InfluxSink {
  readonly client: InfluxDB;
  private readonly batchSize: number;
  private readonly maxPending: number;
  private queue: Point[] = [];
  private head = 0;
  private written = 0;
  private failures = 0;
  private databaseReady = false;
  private loop: Promise<void> | null = null;
  private closed = false;
  private flushing = 0;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    readonly target: InfluxTarget,
    private readonly options: SinkOptions = {},
  ) {
    this.client = new InfluxDB({
      host: target.host,
      port: target.port,
      protocol: target.protocol,
      database: target.database,
      username: target.username,
      password: target.password,
    });
    this.batchSize = options.batchSize ?? 5000;
    this.maxPending = options.maxPending ?? 50_000;
  }

  get stats(): SinkStats {
    return { written: this.written, pending: this.queue.length - this.head, failures: this.failures };
  }

  /** Queue points; resolves once they are queued (waits while the queue is full). */
  async write(points: ReadonlyArray<Point>): Promise<void> {
    if (this.closed) throw new Error(`InfluxDB sink for ${this.target.url} is closed`);
    if (points.length === 0) return;
    while (this.stats.pending >= this.maxPending) await new Promise<void>((r) => this.roomWaiters.push(r));
    for (const p of points) this.queue.push(p);
    if (!this.loop) this.loop = this.drain().finally(() => (this.loop = null));
  }

  /** Resolves when every queued point is written, or false after `timeout_ms`. */
  async flush(timeout_ms = Infinity): Promise<boolean> {
    if (this.stats.pending === 0) return true;
    this.flushing++;
    try {
      return await this.untilIdle(timeout_ms);
    } finally {
      this.flushing--;
    }
  }

  private async untilIdle(timeout_ms: number): Promise<boolean> {
    const idle = new Promise<boolean>((r) => this.idleWaiters.push(() => r(true)));
    if (!Number.isFinite(timeout_ms)) return idle;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeout_ms)));
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop retrying; points not yet written are dropped (the event log still holds them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.roomWaiters.splice(0)) r();
    await this.loop;
  }

  /**
   * CREATE DATABASE needs an admin; the writer is not one, so with auth the database is made
   * at set-up (provisionInflux) and a refusal here (403) is no error: the write says whether
   * the writer may write there. A refused login (401) is.
   */
  private async createDatabase(): Promise<void> {
    try {
      await this.client.createDatabase(this.target.database);
    } catch (err) {
      if (statusOf(err) === 403) return;
      throw authError(err, this.target) ?? err;
    }
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (this.head < this.queue.length && !this.closed) {
      const linger = this.options.linger_ms ?? 1000;
      if (linger > 0 && this.flushing === 0 && this.stats.pending < this.batchSize) {
        await new Promise((r) => setTimeout(r, linger));
        if (this.closed) break;
      }
      const batch = this.queue.slice(this.head, this.head + this.batchSize);
      try {
        if (!this.databaseReady) {
          await this.createDatabase();
          this.databaseReady = true;
        }
        try {
          await this.client.writePoints(batch.map(toIPoint), { precision: PRECISION, database: this.target.database });
        } catch (err) {
          throw authError(err, this.target) ?? err;
        }
        attempt = 0;
        this.written += batch.length;
        this.head += batch.length;
        if (this.head > 65_536) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        while (this.roomWaiters.length > 0 && this.stats.pending < this.maxPending) (this.roomWaiters.shift() as () => void)();
      } catch (err) {
        this.failures++;
        attempt++;
        // A restarted influxd may have lost nothing, or everything: ask for the database again.
        this.databaseReady = false;
        this.options.onError?.(err as Error, attempt);
        const wait = Math.min(this.options.retryMax_ms ?? 2000, (this.options.retryMin_ms ?? 100) * 2 ** Math.min(attempt - 1, 10));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
      for (const r of this.idleWaiters.splice(0)) r();
    }
  }
}

/** A write refused for its credentials; the message names the user, the URL and where the credentials came from, never the password. */
export class InfluxAuthError extends Error {
  override readonly name = 'InfluxAuthError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { res?: { statusCode?: unknown } })?.res?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** An InfluxAuthError for a 401 or 403 answer, else null. */
function authError(err: unknown, target: InfluxTarget): InfluxAuthError | null {
  const status = statusOf(err);
  if (status !== 401 && status !== 403) return null;
  const body = /error occurred: (.*)$/s.exec((err as Error).message)?.[1]?.trim() ?? '';
  const who = target.username ? `user "${target.username}" (credentials from ${target.from ?? 'the target'})` : 'an anonymous client (no METATWIN_INFLUX_USER)';
  const why = status === 401 ? 'refused the login of' : 'refused a write to database "' + target.database + '" by';
  const hint =
    status === 401
      ? "set METATWIN_INFLUX_USER and METATWIN_INFLUX_PASSWORD or METATWIN_INFLUX_PASSWORD_FILE to the writer's credentials"
      : `grant the user WRITE on ${target.database}`;
  return new InfluxAuthError(`InfluxDB at ${target.url} ${why} ${who} (${status} ${body}): ${hint}`, status);
}

function toIPoint(p: Point): IPoint {
  return { measurement: p.measurement, tags: p.tags as Record<string, string>, fields: p.fields as Record<string, number | string | boolean>, timestamp: p.time_us };
}
