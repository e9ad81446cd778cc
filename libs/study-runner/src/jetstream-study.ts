/**
 * Studies over NATS JetStream: no scheduler of our own. Jobs are messages on a work-queue
 * stream (METATWIN_STUDY_JOBS, subject mt.study.jobs.<study>); any number of `metatwin worker`
 * processes pull them from one durable consumer, send `working()` heartbeats while a job runs
 * (AckWait is three heartbeats), and ack when its row is stored. A worker that dies leaves its
 * job unacknowledged, so JetStream delivers it again after AckWait; after MaxDeliver tries
 * the job is a dead letter (mt.study.dead.<study>, with the reason) and a 'failed' row.
 * Rows live in a key-value bucket (METATWIN_STUDY_RESULTS, key row.<study>.<job>) written
 * with create(): the first row of a job wins, so a job that ran twice is counted once.
 */
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  StringCodec,
  connect,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type KV,
  type NatsConnection,
} from 'nats';
import { ERR_STREAM_NOT_FOUND, apiErrorCode } from '@metatwin/eventlog';
import { connectionOptions, describeAuthError, natsSecurity, natsServers, type NatsRole, type NatsSecurity } from '@metatwin/nats-auth';
import type { Job, StudyMetricsSpec, StudyRow } from '@metatwin/studies';
import { runJob } from './run-job';

export const JOBS_STREAM = 'METATWIN_STUDY_JOBS';
export const RESULTS_BUCKET = 'METATWIN_STUDY_RESULTS';
export const WORKERS_CONSUMER = 'metatwin-study-workers';
export const jobsSubject = (studyId: string): string => `mt.study.jobs.${studyId}`;
export const deadSubject = (studyId: string): string => `mt.study.dead.${studyId}`;
export const MAX_DELIVER = 3;
/** JetStream's "consumer not found" (10014). */
const ERR_CONSUMER_NOT_FOUND = 10014;

/** The message a job travels as: everything a worker needs, nothing it must look up. */
export interface JobEnvelope {
  readonly studyId: string;
  readonly spec: StudyMetricsSpec;
  readonly job: Job;
}

export interface StudyQueueOptions {
  /** nats://host:port[,nats://…] */
  readonly servers: string;
  /** Stream and bucket replicas (3 on a 3-node cluster); METATWIN_NATS_REPLICAS, default 1. */
  readonly replicas?: number;
  /** Heartbeat period (ms); AckWait is three of them. METATWIN_STUDY_HEARTBEAT_MS, default 10,000. */
  readonly heartbeat_ms?: number;
  readonly name?: string;
  /** Credentials and TLS (libs/nats-auth); unset: anonymous. */
  readonly security?: NatsSecurity;
}

const sc = StringCodec();

/** How long a JetStream call is tried again while a cluster elects a leader (helper-measured failovers take 4–8 s). */
const RETRY_FOR_MS = 60_000;

/**
 * A JetStream call, tried again on a time-out or "no responders" — what a stream answers while
 * its Raft group elects a leader (a node lost, or a stream just made at 3 replicas) — for up to
 * RETRY_FOR_MS; any other error is thrown at once.
 */
async function retrying<T>(what: string, call: () => Promise<T>): Promise<T> {
  const until = Date.now() + RETRY_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = (err as { code?: string }).code;
      const transient = code === 'TIMEOUT' || code === '503' || /timeout|no responders|cluster not available|leader/i.test((err as Error).message);
      if (!transient || Date.now() > until) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
    }
  }
}
const rowKey = (studyId: string, job: string): string => `row.${studyId}.${job}`;
const cancelKey = (studyId: string): string => `cancel.${studyId}`;
/** A worker's mark on a job it is running (removed once its row is stored). */
const runningKey = (studyId: string, job: string): string => `run.${studyId}.${job}`;

/** The queue's options from the environment, connecting as `role` (`cli` submits and follows studies, `worker` runs their jobs). */
export function queueOptionsFrom(servers: string, env: NodeJS.ProcessEnv = process.env, name?: string, role: NatsRole = 'cli'): StudyQueueOptions {
  const int = (key: string, fallback: number, min: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${key} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  return { servers, replicas: int('METATWIN_NATS_REPLICAS', 1, 1), heartbeat_ms: int('METATWIN_STUDY_HEARTBEAT_MS', 10_000, 100), name, security: natsSecurity(role, env) };
}

/** A connection with the jobs stream, the workers' consumer and the results bucket made sure of. */
export class StudyQueue {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly kv: KV,
    readonly heartbeat_ms: number,
  ) {}

  static async open(options: StudyQueueOptions): Promise<StudyQueue> {
    const heartbeat_ms = options.heartbeat_ms ?? 10_000;
    const replicas = options.replicas ?? 1;
    let nc: NatsConnection;
    try {
      // Reconnect for as long as it takes: a cluster node going down is a pause, not the end.
      nc = await connect({
        servers: natsServers(options.servers),
        name: options.name ?? 'metatwin-study',
        ...connectionOptions(options.security),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    } catch (err) {
      throw new Error(describeAuthError(err, options.security) ?? `cannot reach NATS at ${options.servers}: ${(err as Error).message}`);
    }
    const jsm = await nc.jetstreamManager();
    const stream = {
      name: JOBS_STREAM,
      subjects: ['mt.study.jobs.>'],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      // A job published twice within an hour (a retried publish during a failover) is stored once.
      duplicate_window: nanos(3600_000),
    };
    const notFound = (code: number) => (err: unknown) => {
      if (apiErrorCode(err) === code) return null;
      throw err;
    };
    const info = await retrying('looking up the jobs stream', () => jsm.streams.info(JOBS_STREAM).catch(notFound(ERR_STREAM_NOT_FOUND)));
    if (info === null) await retrying('creating the jobs stream', () => jsm.streams.add(stream));
    // A stream made on one node keeps 1 replica until asked for more (the cluster grown since).
    else if ((info.config.num_replicas ?? 1) < replicas)
      await retrying("raising the jobs stream's replicas", () => jsm.streams.update(JOBS_STREAM, { ...info.config, num_replicas: replicas }));
    const consumer = {
      durable_name: WORKERS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(3 * heartbeat_ms),
      max_deliver: MAX_DELIVER,
    };
    const existing = await retrying("looking up the workers' consumer", () => jsm.consumers.info(JOBS_STREAM, WORKERS_CONSUMER).catch(notFound(ERR_CONSUMER_NOT_FOUND)));
    if (existing === null) await retrying("creating the workers' consumer", () => jsm.consumers.add(JOBS_STREAM, consumer));
    const js = nc.jetstream();
    // Gets go through the stream's leader, not "direct" from any replica: on a 3-node cluster
    // (nats-server 2.9.10) direct gets of this bucket timed out.
    const kv = await retrying('opening the results bucket', () => js.views.kv(RESULTS_BUCKET, { history: 1, replicas, allow_direct: false }));
    return new StudyQueue(nc, js, jsm, kv, heartbeat_ms);
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }

  /** The rows stored so far of these jobs of a study, by job: one get per job (a key scan can stall while rows are written). */
  async rows(studyId: string, jobs: ReadonlyArray<string>): Promise<Map<string, StudyRow>> {
    const out = new Map<string, StudyRow>();
    for (const job of jobs) {
      const e = await retrying('reading a study row', () => this.kv.get(rowKey(studyId, job)));
      if (e && e.operation === 'PUT' && e.value.length > 0) out.set(job, JSON.parse(sc.decode(e.value)) as StudyRow);
    }
    return out;
  }

  /** Each row of the study as it is stored (the ones stored before, first); the returned function stops watching. */
  async watchRows(studyId: string, onRow: (row: StudyRow) => void): Promise<() => void> {
    const iter = await retrying('watching the study rows', () => this.kv.watch({ key: `row.${studyId}.>` }));
    void (async () => {
      for await (const e of iter) if (e.operation === 'PUT' && e.value.length > 0) onRow(JSON.parse(sc.decode(e.value)) as StudyRow);
    })();
    return () => iter.stop();
  }

  /** Store a row unless the job already has one (the first wins); true when this one was stored. */
  async storeRow(row: StudyRow): Promise<boolean> {
    try {
      await retrying('storing a study row', () => this.kv.create(rowKey(row.study, row.job), sc.encode(JSON.stringify(row))));
      return true;
    } catch (err) {
      // A create retried after a time-out may find its own first attempt: either way the job has its row.
      if (/wrong last sequence|key exists/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** Forget a job's failed row, so it runs again. */
  async forgetRow(studyId: string, job: string): Promise<void> {
    await retrying('forgetting a failed row', () => this.kv.delete(rowKey(studyId, job)));
  }

  /**
   * Queue the jobs a study still lacks: its queued messages are purged first (so a job lost
   * after MaxDeliver is queued afresh), then each job is published with a message id of
   * study, job and this submission, which JetStream de-duplicates if a publish is retried.
   */
  async submit(studyId: string, spec: StudyMetricsSpec, jobs: ReadonlyArray<Job>, submission: string): Promise<void> {
    await retrying('clearing a cancel', () => this.kv.delete(cancelKey(studyId)));
    await retrying('purging queued jobs', () => this.jsm.streams.purge(JOBS_STREAM, { filter: jobsSubject(studyId) }));
    for (const job of jobs) {
      const envelope: JobEnvelope = { studyId, spec, job };
      const data = sc.encode(JSON.stringify(envelope));
      // The message id makes a publish retried after a time-out one message, not two.
      await retrying('queueing a job', () => this.js.publish(jobsSubject(studyId), data, { msgID: `${studyId}.${job.id}.${submission}` }));
    }
  }

  /** Stop a study: its queued jobs are purged, and workers skip any it still hands them. */
  async cancel(studyId: string, reason: string): Promise<number> {
    await retrying('cancelling', () => this.kv.put(cancelKey(studyId), sc.encode(reason)));
    const r = await retrying('purging queued jobs', () => this.jsm.streams.purge(JOBS_STREAM, { filter: jobsSubject(studyId) }));
    return r.purged;
  }

  private readonly cancelChecked = new Map<string, { at_ms: number; reason: string | null }>();

  /** cancelled(), asked at most once a second per study: a worker pays one round trip less per job. */
  private async cancelledRecently(studyId: string): Promise<string | null> {
    const seen = this.cancelChecked.get(studyId);
    if (seen && Date.now() - seen.at_ms < 1000) return seen.reason;
    const reason = await this.cancelled(studyId);
    this.cancelChecked.set(studyId, { at_ms: Date.now(), reason });
    return reason;
  }

  async cancelled(studyId: string): Promise<string | null> {
    const e = await retrying('reading a cancel', () => this.kv.get(cancelKey(studyId)));
    return e && e.operation === 'PUT' && e.value.length > 0 ? sc.decode(e.value) : null;
  }

  /** Of these jobs, the ones a worker has marked as running (a worker killed mid-job leaves its mark until the job runs again). */
  async running(studyId: string, jobs: ReadonlyArray<string>): Promise<number> {
    let n = 0;
    for (const job of jobs) {
      const e = await retrying('reading a running mark', () => this.kv.get(runningKey(studyId, job)));
      if (e && e.operation === 'PUT' && e.value.length > 0) n++;
    }
    return n;
  }

  /** Jobs of the study waiting in the stream (not yet acknowledged, delivered or not). */
  async queued(studyId: string): Promise<number> {
    const info = await retrying('counting queued jobs', () => this.jsm.streams.info(JOBS_STREAM, { subjects_filter: jobsSubject(studyId) }));
    return info.state.subjects?.[jobsSubject(studyId)] ?? 0;
  }

  /** Publish a dead letter: the job and why it is given up. */
  deadLetter(envelope: JobEnvelope, reason: string): void {
    this.nc.publish(deadSubject(envelope.studyId), sc.encode(JSON.stringify({ job: envelope.job.id, params: envelope.job.params, reason })));
  }

  /**
   * Pull and run jobs until `stop()` says so: one at a time (a process per core is how a
   * machine runs several). Resolves with the number of jobs this worker ran.
   */
  async work(worker: string, stop: () => boolean, onJob?: (row: StudyRow, stored: boolean) => void): Promise<number> {
    const consumer = await retrying("binding the workers' consumer", () => this.js.consumers.get(JOBS_STREAM, WORKERS_CONSUMER));
    let ran = 0;
    while (!stop()) {
      let m: JsMsg | null;
      try {
        m = await consumer.next({ expires: Math.max(1000, this.heartbeat_ms) });
      } catch (err) {
        // A cluster electing a new leader answers nothing for a moment: wait and pull again.
        if (stop()) break;
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (m === null) continue;
      ran += (await this.handle(m, worker, onJob)) ? 1 : 0;
    }
    return ran;
  }

  private async handle(m: JsMsg, worker: string, onJob?: (row: StudyRow, stored: boolean) => void): Promise<boolean> {
    let envelope: JobEnvelope;
    try {
      envelope = JSON.parse(sc.decode(m.data)) as JobEnvelope;
      if (typeof envelope?.studyId !== 'string' || typeof envelope.job?.id !== 'string') throw new Error('not a job envelope');
    } catch (err) {
      m.term(`not a job: ${(err as Error).message}`);
      return false;
    }
    const { studyId, job, spec } = envelope;
    if ((await this.cancelledRecently(studyId)) !== null) {
      m.term('study cancelled');
      return false;
    }
    // A delivery after the first may follow a worker that stored the row and died before its
    // ack: then the job is done. (A first delivery is new work; create() still counts it once.)
    if (m.info.redelivered) {
      const existing = await retrying('reading a study row', () => this.kv.get(rowKey(studyId, job.id)));
      if (existing && existing.operation === 'PUT' && existing.value.length > 0 && (JSON.parse(sc.decode(existing.value)) as StudyRow).status === 'done') {
        m.ack();
        return false;
      }
    }
    // The running mark is for `study status` only: written and cleared without waiting (one connection keeps their order).
    void retrying('marking a job running', () => this.kv.put(runningKey(studyId, job.id), sc.encode(worker))).catch(() => undefined);
    const heartbeat = setInterval(() => m.working(), this.heartbeat_ms);
    let row: StudyRow;
    try {
      row = await runJob(studyId, job, spec, worker);
    } finally {
      clearInterval(heartbeat);
    }
    const stored = await this.storeRow(row);
    void retrying('clearing a running mark', () => this.kv.delete(runningKey(studyId, job.id))).catch(() => undefined);
    if (row.status === 'failed') this.deadLetter(envelope, row.error ?? 'failed');
    m.ack();
    onJob?.(row, stored);
    return true;
  }

  /**
   * Jobs given up after MaxDeliver (each delivery's worker died or hung) as JetStream
   * advises them: each becomes a 'failed' row naming why, a dead letter, and leaves the stream.
   */
  watchLost(studyId: string, lostRow: (envelope: JobEnvelope, reason: string) => StudyRow): () => void {
    const sub = this.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.${WORKERS_CONSUMER}`);
    void (async () => {
      for await (const advisory of sub) {
        try {
          const a = JSON.parse(sc.decode(advisory.data)) as { stream_seq: number; deliveries: number };
          const stored = await this.jsm.streams.getMessage(JOBS_STREAM, { seq: a.stream_seq });
          const envelope = JSON.parse(sc.decode(stored.data)) as JobEnvelope;
          if (envelope.studyId !== studyId) continue;
          const reason = `delivered ${a.deliveries} times and never acknowledged: each worker that took it died or hung`;
          await this.storeRow(lostRow(envelope, reason));
          this.deadLetter(envelope, reason);
          await this.jsm.streams.deleteMessage(JOBS_STREAM, a.stream_seq);
        } catch {
          // the message is gone already (purged, or handled by another watcher)
        }
      }
    })();
    return () => sub.unsubscribe();
  }
}
