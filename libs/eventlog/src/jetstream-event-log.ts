/**
 * EventLog on NATS JetStream: one stream (file storage) holding `${prefix}.>`, one subject
 * `${prefix}.${runId}.${source}` per (run, source), one message per batch (JSON).
 *
 * Appends carry msgID `${runId}:${source}:${firstSeq}`, so a retry inside the stream's
 * duplicate window is dropped by the server, and expect.lastSubjectSequence, so two writers
 * on one (run, source) cannot interleave unseen (nats.js jetstream_test.ts). Reads replay
 * through an ordered consumer up to the stream's last sequence at call time.
 *
 * Keep the prefix disjoint from request/reply subjects: a stream that captures a request
 * subject answers it with its ack instead of the handler.
 */
import {
  DeliverPolicy,
  NatsError,
  StorageType,
  connect,
  nanos,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type NatsConnection,
  type StoredMsg,
} from 'nats';
import { connectionOptions, describeAuthError, natsServers, type NatsSecurity } from '@metatwin/nats-auth';
import { ConcurrentAppendError, CorruptLogError, EventLogClosedError, EventLogError } from './errors';
import {
  KeyedQueue,
  assertName,
  decideAppend,
  decodeBatch,
  encodeBatch,
  validateBatch,
  validateHeader,
  type BatchHeader,
  type EventLog,
  type Footprint,
  type LogBatch,
  type PositionedBatch,
  type PositionedLog,
  type RunEntry,
} from './event-log';

export interface JetStreamEventLogOptions {
  /** NATS server URL(s), e.g. nats://127.0.0.1:4222 */
  servers: string | string[];
  /** Stream name (default METATWIN_LOG). */
  stream?: string;
  /** First subject token (default mtlog). */
  subjectPrefix?: string;
  /** How long the server remembers msgIDs for de-duplication, ms (default 2 min). */
  duplicateWindow_ms?: number;
  /**
   * Keep reconnecting for ever, every 250 ms (services, and a CLI following a run): a NATS
   * outage is a pause, not the end. Default: nats.js's few attempts, for one-shot commands.
   */
  reconnectForever?: boolean;
  /** JetStream API and publish time-out, ms (default 5 s): how soon an append during an outage fails and is retried. */
  timeout_ms?: number;
  /** The connection's name on the server (monitoring). */
  name?: string;
  /** Credentials and TLS (libs/nats-auth: natsSecurity(role)); plain data, so it crosses to the append worker. Unset: anonymous. */
  security?: NatsSecurity;
  /**
   * Retention limits of the stream (applied when it is created, and to an existing stream when
   * given): the oldest messages are discarded beyond them, so size them well above a run — a
   * run that lost messages shows as incomplete in `metatwin runs`. Default: no limits.
   */
  limits?: StreamLimits;
}

export interface StreamLimits {
  readonly maxAge_s?: number;
  readonly maxBytes?: number;
  /** Copies of the stream and its catalogue bucket in a cluster (METATWIN_NATS_REPLICAS); unset: 1. */
  readonly replicas?: number;
}

/** METATWIN_LOG_MAX_AGE_S, METATWIN_LOG_MAX_BYTES and METATWIN_NATS_REPLICAS, checked; unset means no limit (and 1 replica). */
export function streamLimits(env: NodeJS.ProcessEnv): StreamLimits {
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  const maxAge_s = read('METATWIN_LOG_MAX_AGE_S');
  const maxBytes = read('METATWIN_LOG_MAX_BYTES');
  const replicas = read('METATWIN_NATS_REPLICAS');
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas > 5))
    throw new RangeError(`METATWIN_NATS_REPLICAS must be an integer in 1..5, got ${JSON.stringify(env.METATWIN_NATS_REPLICAS)}`);
  return {
    ...(maxAge_s === undefined ? {} : { maxAge_s }),
    ...(maxBytes === undefined ? {} : { maxBytes: Math.round(maxBytes) }),
    ...(replicas === undefined ? {} : { replicas }),
  };
}

/** How long a client waits for a cluster to elect before giving up on a request. */
const CLUSTER_PATIENCE_MS = 30_000;

/**
 * A cluster answers nothing for a moment while it elects (just started, or a node lost): a
 * timeout, no responders, no leader. Such an answer is tried again until `patience_ms` has
 * passed; any other is thrown at once, as is every answer when `patience_ms` is 0 (one
 * server that does not answer is a server without JetStream, said at once). Only for
 * requests that are safe to repeat. (Wall time here paces I/O only, never physics.)
 */
async function withClusterPatience<T>(patience_ms: number, call: () => Promise<T>, pause_ms = 250): Promise<T> {
  for (const until = Date.now() + patience_ms; ;) {
    try {
      return await call();
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } };
      const transient = /TIMEOUT|503|no responders|leader|not available|no consumer within/i.test(`${e.code} ${e.cause?.code} ${e.message}`);
      if (!transient || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, pause_ms));
    }
  }
}

/** A follower silent this long while the stream holds a message for it makes its consumer again. */
const FOLLOW_STALL_MS = 3000;

const DEFAULTS = { stream: 'METATWIN_LOG', subjectPrefix: 'mtlog', duplicateWindow_ms: 120_000 };
/** Attempts when another writer moved the subject between our look-up and our publish. */
const APPEND_ATTEMPTS = 3;
const ERR_NO_MESSAGE = 10037;
const ERR_WRONG_LAST_SEQUENCE = 10071;
export const ERR_STREAM_NOT_FOUND = 10059;

/** Newest stored batch of one (run, source) and its stream sequence. */
interface Cursor {
  readonly lastSeq: number;
  readonly lastBatchFirstSeq: number;
  /** Stream sequence of the subject's newest message, 0 when it has none. */
  readonly subjectSeq: number;
}
const EMPTY: Cursor = { lastSeq: 0, lastBatchFirstSeq: 0, subjectSeq: 0 };

export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

export class JetStreamEventLog implements EventLog, PositionedLog {
  private readonly cursors = new Map<string, Cursor>();
  private catalogue: KV | null = null;
  private readonly queue = new KeyedQueue();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly stream: string,
    readonly subjectPrefix: string,
    private readonly replicas = 1,
  ) {}

  /** Connects and creates the stream when missing (an existing one must hold `${prefix}.>`). */
  static async connect(options: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const { servers, stream, subjectPrefix, duplicateWindow_ms, reconnectForever, timeout_ms, name, limits, security } = { ...DEFAULTS, ...options };
    if (!/^[A-Za-z0-9_-]+$/.test(stream)) throw new EventLogError(`stream: must match [A-Za-z0-9_-]+, got ${JSON.stringify(stream)}`);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix))
      throw new EventLogError(`subjectPrefix: must be dot-separated [A-Za-z0-9_-]+ tokens, got ${JSON.stringify(subjectPrefix)}`);
    let nc: NatsConnection;
    try {
      // noAsyncTraces: no stack captured per request (every append is one), which costs ~5 % of a step.
      nc = await connect({
        servers: natsServers(servers),
        name: name ?? 'metatwin-eventlog',
        noAsyncTraces: true,
        ...connectionOptions(security),
        ...(reconnectForever ? { maxReconnectAttempts: -1, reconnectTimeWait: 250 } : {}),
      });
    } catch (err) {
      const refused = describeAuthError(err, security);
      throw new EventLogError(refused ?? `cannot connect to NATS at ${String(servers)}`, { cause: err });
    }
    try {
      const jsm = await nc.jetstreamManager(timeout_ms === undefined ? {} : { timeout: timeout_ms });
      // At more than one replica the stream's set-up is given the cluster's patience.
      const replicas = await withClusterPatience(
        (limits?.replicas ?? 1) > 1 ? CLUSTER_PATIENCE_MS : 0,
        () => ensureStream(jsm, stream, `${subjectPrefix}.>`, duplicateWindow_ms, limits ?? {}),
        500,
      );
      return new JetStreamEventLog(nc, jsm, nc.jetstream(timeout_ms === undefined ? {} : { timeout: timeout_ms }), stream, subjectPrefix, replicas);
    } catch (err) {
      await nc.close();
      if (err instanceof EventLogError) throw err;
      const refused = describeAuthError(err, security);
      throw new EventLogError(
        refused ? `cannot set up stream ${stream} on ${String(servers)}: ${refused}` : `cannot set up stream ${stream} on ${String(servers)} (is JetStream enabled?)`,
        { cause: err },
      );
    }
  }

  async append(batch: LogBatch): Promise<void> {
    this.assertOpen();
    validateBatch(batch);
    // Encoding starts now (deflating off this thread); storing is queued per run, not per
    // subject, so call order is append order across sources too.
    const payload = encodeBatch(batch);
    await this.queue.run(batch.runId, async () => this.appendNow(batch, await payload));
  }

  /**
   * Append a batch already encoded (by `encodeBatch`), e.g. by another thread;
   * `header` is the batch without its records, for the sequence checks.
   */
  async appendEncoded(header: BatchHeader, payload: Uint8Array): Promise<void> {
    this.assertOpen();
    validateHeader(header);
    await this.queue.run(header.runId, () => this.appendNow(header, payload));
  }

  read(runId: string, options: { source?: string } = {}): AsyncIterable<LogBatch> {
    this.assertOpen();
    assertName('runId', runId);
    if (options.source !== undefined) assertName('source', options.source);
    return this.readSubjects(options.source === undefined ? `${this.subjectPrefix}.${runId}.*` : this.subject(runId, options.source), 1);
  }

  readFrom(runId: string, position: number): AsyncIterable<LogBatch> {
    this.assertOpen();
    assertName('runId', runId);
    if (!Number.isSafeInteger(position) || position < 1) throw new RangeError(`readFrom ${runId}: position must be a stream sequence ≥ 1, got ${position}`);
    return this.readSubjects(`${this.subjectPrefix}.${runId}.*`, position);
  }

  async batchAtOrAfter(runId: string, source: string, position: number): Promise<PositionedBatch | null> {
    this.assertOpen();
    assertName('runId', runId);
    assertName('source', source);
    // MSG.GET's next_by_subj (server 2.9+; nats.js 2.x leaves it out of MsgRequest, hence the variable).
    const request = { seq: Math.max(1, position), next_by_subj: this.subject(runId, source) };
    return this.getPositioned(`batch of ${request.next_by_subj} from ${request.seq}`, () => this.jsm.streams.getMessage(this.stream, request));
  }

  async lastBatch(runId: string, source: string): Promise<PositionedBatch | null> {
    this.assertOpen();
    assertName('runId', runId);
    assertName('source', source);
    const subject = this.subject(runId, source);
    return this.getPositioned(`last batch of ${subject}`, () => this.jsm.streams.getMessage(this.stream, { last_by_subj: subject }));
  }

  private async getPositioned(what: string, get: () => Promise<StoredMsg>): Promise<PositionedBatch | null> {
    let sm: StoredMsg;
    try {
      sm = await get();
    } catch (err) {
      if (apiErrorCode(err) === ERR_NO_MESSAGE) return null;
      throw new EventLogError(`${what} on stream ${this.stream}: ${(err as Error).message}`, { cause: err });
    }
    return { batch: decodeBatch(sm.data, `stream ${this.stream} seq ${sm.seq}`), position: sm.seq };
  }

  /** The stored batches on `filter` from stream sequence `from`, up to what is stored when the read starts. */
  private async *readSubjects(filter: string, from: number): AsyncIterable<LogBatch> {
    const info = await this.api(`read ${filter}`, () => this.jsm.streams.info(this.stream, { subjects_filter: filter }));
    const count = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    if (count === 0 || from > info.state.last_seq) return;
    // Messages appended after this point belong to a later read. The follower's consumer is
    // made again should its node be lost mid-read (a cluster missing a node).
    const lastStreamSeq = info.state.last_seq;
    const { batches, stop } = await this.followFilter(filter, Math.max(1, from));
    try {
      for await (const b of batches) {
        if (b.streamSeq > lastStreamSeq) break;
        const { streamSeq, pending, ...batch } = b;
        yield batch;
        if (streamSeq === lastStreamSeq || pending === 0) break;
      }
    } finally {
      await stop();
    }
  }

  /**
   * Every batch appended from now on (or from stream sequence `fromStreamSeq`), of every run
   * (or of one run), in stream order, until `stop()`. An ordered consumer: the server pushes
   * a bounded window, and after a reconnect — a NATS outage, a restarted server — it is made
   * again from the last delivered sequence, so nothing is skipped or delivered twice. A slow
   * reader holds back the stream rather than buffering it. `accept(subject)` lets a reader
   * skip batches without decoding them.
   */
  async follow(
    options: {
      fromStreamSeq?: number;
      runId?: string;
      /** With runId: only this source's batches (filtered by the server). */
      source?: string;
      accept?: (subject: string) => boolean;
      /**
       * A stored message that is not a batch, or a batch whose header claims another run or
       * source than its subject: skipped and reported here (without it, the iteration throws
       * CorruptLogError).
       */
      onCorrupt?: (err: Error, subject: string, payload: Uint8Array) => void;
      /**
       * Deliver batches whose header disagrees with their subject too, for a reader that
       * judges provenance itself (the log bus dead-letters them with its own reasons).
       */
      withMismatched?: boolean;
    } = {},
  ): Promise<{ batches: AsyncIterable<LogBatch & { streamSeq: number }>; stop: () => Promise<void> }> {
    this.assertOpen();
    if (options.runId !== undefined) assertName('runId', options.runId);
    if (options.source !== undefined) assertName('source', options.source);
    const filter = options.runId === undefined ? `${this.subjectPrefix}.>` : `${this.subjectPrefix}.${options.runId}.${options.source ?? '*'}`;
    return this.followFilter(filter, options.fromStreamSeq, options.accept, options.onCorrupt, options.withMismatched);
  }

  /**
   * Follow `filter` from stream sequence `from` (unset: what is appended from now on); each
   * batch comes with its stream sequence and how many messages on the filter the consumer
   * knew to be pending after it (0: it was the last stored when delivered).
   */
  private async followFilter(
    filter: string,
    from: number | undefined,
    accept?: (subject: string) => boolean,
    onCorrupt?: (err: Error, subject: string, payload: Uint8Array) => void,
    withMismatched = false,
  ): Promise<{ batches: AsyncIterable<LogBatch & { streamSeq: number; pending: number }>; stop: () => Promise<void> }> {
    // The next stream sequence to deliver: where a consumer made again goes on from.
    let next = from ?? (await this.lastStreamSequence()) + 1;
    let stopped = false;
    interface Following {
      readonly consumer: Consumer;
      readonly messages: ConsumerMessages;
      /** Resolves when the watchdog gives this consumer up. */
      readonly abandoned: Promise<'abandoned'>;
      abandon(): void;
    }
    const open = async (): Promise<Following> => {
      const consumer = await this.api('follow', () =>
        this.js.consumers.get(this.stream, { filterSubjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next }),
      );
      // A short expiry makes the idle heartbeat 1 s: a server that went away is noticed soon.
      const messages = await this.api('follow', () => consumer.consume({ max_messages: 64, expires: 2000 }));
      let abandon = (): void => undefined;
      const abandoned = new Promise<'abandoned'>((resolve) => (abandon = () => resolve('abandoned')));
      return { consumer, messages, abandoned, abandon };
    };
    // Making a consumer while the stream is between leaders can hang for ever: give up on an
    // attempt after `ms` (a late one is closed as soon as it arrives) and try again.
    const openWithin = async (ms: number): Promise<Following> => {
      let late = false;
      const attempt = open();
      void attempt.then(
        (f) => {
          if (!late) return;
          f.abandon();
          void f.messages.close().catch(() => undefined);
          void f.consumer.delete().catch(() => undefined);
        },
        () => undefined,
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new EventLogError(`follow on stream ${this.stream}: no consumer within ${ms} ms`));
        }, ms);
      });
      return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
    };
    // The first consumer too: a cluster that lost a node may place it there and time out.
    let current: Following = await withClusterPatience(CLUSTER_PATIENCE_MS, () => openWithin(FOLLOW_STALL_MS));
    // A watchdog on delivery, not on nats.js's own recovery: in a cluster a consumer lives on
    // one node, and when that node is lost nats.js's ordered consumer can wait for ever (it
    // resets only on "consumer not found", while the meta leader still lists the lost node's
    // consumer), and closing it then does not end its iteration either. When nothing has been
    // delivered for a while but the stream holds a message for us, the consumer is abandoned
    // and another made from `next`. (Wall time here paces I/O only, never physics.)
    let delivered_ms = Date.now();
    let probing = false;
    const watchdog = setInterval(() => {
      if (stopped || probing || Date.now() - delivered_ms < FOLLOW_STALL_MS) return;
      probing = true;
      // MSG.GET's next_by_subj: the first message at or after `next` on our filter (404: none).
      const request = { seq: next, next_by_subj: filter };
      void this.jsm.streams
        .getMessage(this.stream, request)
        .then(() => {
          delivered_ms = Date.now();
          current.abandon();
        })
        .catch(() => undefined)
        .finally(() => (probing = false));
    }, FOLLOW_STALL_MS / 3);
    watchdog.unref();
    const stream = this.stream;
    const prefix = this.subjectPrefix;
    async function* batches(): AsyncIterable<LogBatch & { streamSeq: number; pending: number }> {
      for (;;) {
        const following = current;
        const iterator = following.messages[Symbol.asyncIterator]();
        try {
          for (;;) {
            const r = await Promise.race([iterator.next(), following.abandoned]);
            if (r === 'abandoned' || r.done === true) break;
            const m = r.value;
            next = m.seq + 1;
            delivered_ms = Date.now();
            if (accept !== undefined && !accept(m.subject)) continue;
            let batch: LogBatch;
            try {
              batch = decodeBatch(m.data, `stream ${stream} seq ${m.seq}`);
              // A batch speaks only for the run and source of the subject it is stored on (which
              // NATS permissions bind to its writer); its header is whatever the writer claimed.
              if (!withMismatched && m.subject !== `${prefix}.${batch.runId}.${batch.source}`)
                throw new CorruptLogError(
                  `stream ${stream} seq ${m.seq}: batch on ${m.subject} claims run ${JSON.stringify(batch.runId)} and source ${JSON.stringify(batch.source)}; a batch speaks only for its subject's`,
                );
            } catch (err) {
              if (onCorrupt === undefined) throw err;
              onCorrupt(err as Error, m.subject, m.data);
              continue;
            }
            yield { ...batch, streamSeq: m.seq, pending: m.info.pending };
          }
        } catch (err) {
          // A corrupt batch is the reader's to see; anything else is the consumer failing under
          // us (its node lost, the stream between leaders): it is made again below.
          if (err instanceof CorruptLogError || stopped) throw err;
        }
        if (stopped) return;
        void following.messages.close().catch(() => undefined);
        void following.consumer.delete().catch(() => undefined);
        // Made again from `next` — nothing skipped, nothing twice — once the cluster answers.
        for (;;) {
          try {
            current = await openWithin(FOLLOW_STALL_MS);
            break;
          } catch (err) {
            if (stopped) return;
            if (err instanceof EventLogClosedError) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      }
    }
    return {
      batches: batches(),
      stop: async () => {
        stopped = true;
        clearInterval(watchdog);
        current.abandon();
        // A consumer lost with its node may never finish closing: wait a little, not for ever.
        await Promise.race([current.messages.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
        await current.consumer.delete().catch(() => undefined);
      },
    };
  }

  /** The stream's last sequence now (0 when empty): where a reader that has read everything so far goes on from. */
  async lastStreamSequence(): Promise<number> {
    this.assertOpen();
    const info = await this.api('lastStreamSequence', () => this.jsm.streams.info(this.stream));
    return info.state.last_seq;
  }

  /** The connection (status events: disconnect, reconnect; presence and dead letters share it). */
  get connection(): NatsConnection {
    return this.nc;
  }

  async lastSequence(runId: string, source: string): Promise<number> {
    this.assertOpen();
    assertName('runId', runId);
    assertName('source', source);
    const subject = this.subject(runId, source);
    // Always asks the server: after a crash another process may have written since.
    return this.queue.run(runId, async () => (await this.fetchCursor(subject)).lastSeq);
  }

  async runIds(): Promise<string[]> {
    this.assertOpen();
    const prefix = `${this.subjectPrefix}.`;
    const info = await this.api('runIds', () => this.jsm.streams.info(this.stream, { subjects_filter: `${prefix}>` }));
    const runs = new Set(Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length).split('.')[0]));
    const firstSeqs = await Promise.all(
      [...runs].map(async (run) => {
        // The server's MSG.GET takes next_by_subj (the first message at or after seq on a
        // subject filter) since 2.9; nats.js 2.x leaves it out of MsgRequest, hence the variable.
        const firstOfRun = { seq: 1, next_by_subj: `${prefix}${run}.*` };
        const first = await this.api(`runIds ${run}`, () => this.jsm.streams.getMessage(this.stream, firstOfRun));
        return [run, first.seq] as const;
      }),
    );
    return firstSeqs.sort((a, b) => a[1] - b[1]).map(([run]) => run);
  }

  /** The run catalogue: a KV bucket beside the stream (`${stream}_RUNS`), one key per run. */
  private async kv(): Promise<KV> {
    this.catalogue ??= await this.api('catalogue', () => this.js.views.kv(`${this.stream}_RUNS`, { history: 1, replicas: this.replicas }));
    return this.catalogue;
  }

  async putEntry(entry: RunEntry): Promise<void> {
    this.assertOpen();
    assertName('runId', entry.run);
    const kv = await this.kv();
    await this.api(`catalogue put ${entry.run}`, () => kv.put(entry.run, this.encoder.encode(JSON.stringify(entry))));
  }

  async entries(): Promise<RunEntry[]> {
    this.assertOpen();
    const kv = await this.kv();
    const keys = await this.api('catalogue keys', async () => {
      const found: string[] = [];
      for await (const k of await kv.keys()) found.push(k);
      return found;
    });
    const entries = await Promise.all(keys.map((k) => this.api(`catalogue get ${k}`, () => kv.get(k))));
    return entries.filter((e) => e !== null && e.operation === 'PUT').map((e) => JSON.parse(this.decoder.decode(e?.value)) as RunEntry);
  }

  /** Purge the run's subjects from the stream and delete its catalogue key. */
  async deleteRun(runId: string): Promise<void> {
    this.assertOpen();
    assertName('runId', runId);
    await this.queue.run(runId, async () => {
      await this.api(`purge ${runId}`, () => this.jsm.streams.purge(this.stream, { filter: `${this.subjectPrefix}.${runId}.*` }));
      for (const key of [...this.cursors.keys()]) if (key.startsWith(`${this.subjectPrefix}.${runId}.`)) this.cursors.delete(key);
      const kv = await this.kv();
      await this.api(`catalogue delete ${runId}`, () => kv.purge(runId));
    });
  }

  /** Stored batches per source, from the stream's per-subject counts: one request for every run. */
  async footprints(runIds?: ReadonlyArray<string>): Promise<Map<string, Footprint>> {
    this.assertOpen();
    const prefix = `${this.subjectPrefix}.`;
    const filter = runIds?.length === 1 ? `${prefix}${runIds[0]}.*` : `${prefix}>`;
    const info = await this.api('footprints', () => this.jsm.streams.info(this.stream, { subjects_filter: filter }));
    const out = new Map<string, Record<string, number>>();
    for (const id of runIds ?? []) out.set(id, {});
    for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
      const [run, source] = subject.slice(prefix.length).split('.');
      if (runIds !== undefined && !out.has(run)) continue;
      const f = out.get(run) ?? {};
      f[source] = n;
      out.set(run, f);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    if (this.nc.isClosed()) return;
    // A drain needs the server: while NATS is away (a command giving up on an outage) it
    // would wait for its return, so close outright after a while.
    const drained = this.nc.drain().catch(() => undefined);
    const timer = setTimeout(() => void this.nc.close(), 2000);
    await drained;
    clearTimeout(timer);
  }

  private async appendNow(batch: BatchHeader, payload: Uint8Array): Promise<void> {
    const subject = this.subject(batch.runId, batch.source);
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      // A cached cursor can only be behind (stored batches never change): what it calls a
      // duplicate or an overlap is one, but what it calls a gap may have been filled by
      // another writer, so ask the server before rejecting.
      let cursor = this.cursors.get(subject);
      if (!cursor || batch.firstSeq > cursor.lastSeq + 1) cursor = await this.fetchCursor(subject);
      const stored = cursor;
      const decision = await decideAppend(batch, cursor.lastSeq, (first) =>
        first === stored.lastBatchFirstSeq ? stored.lastSeq : this.storedBatchEnd(batch.runId, batch.source, first),
      );
      if (decision === 'duplicate') return;
      try {
        const ack = await this.js.publish(subject, payload, {
          msgID: `${batch.runId}:${batch.source}:${batch.firstSeq}`,
          expect: { lastSubjectSequence: stored.subjectSeq },
        });
        // A duplicate ack means this batch was stored before, by a retry or another writer.
        if (ack.duplicate) this.cursors.delete(subject);
        else this.cursors.set(subject, { lastSeq: batch.lastSeq, lastBatchFirstSeq: batch.firstSeq, subjectSeq: ack.seq });
        return;
      } catch (err) {
        this.cursors.delete(subject);
        if (apiErrorCode(err) === ERR_WRONG_LAST_SEQUENCE) continue;
        throw new EventLogError(`append ${subject} ${batch.firstSeq}..${batch.lastSeq}: ${(err as Error).message}`, { cause: err });
      }
    }
    throw new ConcurrentAppendError(`append ${subject} ${batch.firstSeq}..${batch.lastSeq}: another writer kept appending to the same run and source`);
  }

  private async fetchCursor(subject: string): Promise<Cursor> {
    let cursor = EMPTY;
    try {
      const sm = await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
      const last = decodeBatch(sm.data, `stream ${this.stream} seq ${sm.seq}`);
      cursor = { lastSeq: last.lastSeq, lastBatchFirstSeq: last.firstSeq, subjectSeq: sm.seq };
    } catch (err) {
      if (apiErrorCode(err) !== ERR_NO_MESSAGE) throw new EventLogError(`last batch of ${subject}: ${(err as Error).message}`, { cause: err });
    }
    this.cursors.set(subject, cursor);
    return cursor;
  }

  /** lastSeq of the stored batch of (run, source) starting at firstSeq; scans the subject. */
  private async storedBatchEnd(runId: string, source: string, firstSeq: number): Promise<number | undefined> {
    for await (const stored of this.read(runId, { source })) {
      if (stored.firstSeq === firstSeq) return stored.lastSeq;
      if (stored.firstSeq > firstSeq) return undefined;
    }
    return undefined;
  }

  /** One request to the server, named in its error; on a clustered stream, with the cluster's patience. */
  private async api<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withClusterPatience(this.replicas > 1 ? CLUSTER_PATIENCE_MS : 0, call);
    } catch (err) {
      throw new EventLogError(`${what} on stream ${this.stream}: ${(err as Error).message}`, { cause: err });
    }
  }

  private subject(runId: string, source: string): string {
    return `${this.subjectPrefix}.${runId}.${source}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventLogClosedError();
  }
}

/** Makes or updates the stream; returns its replica count. */
async function ensureStream(jsm: JetStreamManager, name: string, subjects: string, duplicateWindow_ms: number, limits: StreamLimits): Promise<number> {
  const wanted = {
    ...(limits.maxAge_s === undefined ? {} : { max_age: nanos(limits.maxAge_s * 1000) }),
    ...(limits.maxBytes === undefined ? {} : { max_bytes: limits.maxBytes }),
    // More replicas than the stream has raise it (a stream made on one node, the cluster grown since).
    ...(limits.replicas === undefined ? {} : { num_replicas: limits.replicas }),
  };
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects?.includes(subjects)) {
      throw new EventLogError(`stream ${name} exists with subjects ${JSON.stringify(info.config.subjects)}, not ${subjects}; choose another stream name or subject prefix`);
    }
    const changed = (Object.keys(wanted) as Array<keyof typeof wanted>).some((k) => info.config[k] !== wanted[k]);
    if (changed) return (await jsm.streams.update(name, { ...info.config, ...wanted })).config.num_replicas;
    return info.config.num_replicas;
  } catch (err) {
    if (apiErrorCode(err) !== ERR_STREAM_NOT_FOUND) throw err;
  }
  return (await jsm.streams.add({ name, subjects: [subjects], storage: StorageType.File, duplicate_window: nanos(duplicateWindow_ms), ...wanted })).config.num_replicas;
}
