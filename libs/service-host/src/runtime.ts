/**
 * What runs inside each service process: its decider's host on the log-first bus — every
 * signal it emits is appended to the JetStream event log, and it acts only on signals the
 * log holds — plus presence heartbeats and health. The Nest module only creates this and
 * exposes health and (for the supervisor) run start over request/reply.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LogBus, signingFromEnv } from '@metatwin/bus';
import { CONTRACT_VERSION, PRESENCE_EVERY_MS, PRESENCE_MISSING_AFTER_MS, SOURCES, SUBJECTS, type Signal, type Source } from '@metatwin/contracts';
import { closeControllerLinks, controllerLinks, onControllerState } from '@metatwin/bridges';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { NatsConnection } from 'nats';
import { InfluxSink, LogProjector } from '@metatwin/influx';
import { MEASUREMENTS, type Point } from '@metatwin/projection';
import { assertPinnedBuildable, catalogueEnd, createHost, readRunSignals, readRunTail, recoverRun, runEntry, type AnyHost, type SupervisorHost } from '@metatwin/services';
import { withMissing } from '@metatwin/supervisor';
import type { ServiceConfig } from './config';
import { controllerLinkPoints } from './link-health';

export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

export interface Health {
  readonly service: Source;
  readonly ok: boolean;
  readonly received: number;
  readonly deadLetters: number;
  readonly recorded: number;
  readonly natsReconnects: number;
}

@Injectable()
export class ServiceRuntime implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;
  private bus: LogBus | null = null;
  private log: JetStreamEventLog | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private sink: InfluxSink | null = null;
  private projector: LogProjector | null = null;
  private projectedStreamSeq = 0;
  private stopFollowing: (() => Promise<void>) | null = null;
  /** Handler time since the last health point (ms): sum, max, count. */
  private latency = { sum: 0, max: 0, n: 0 };
  private reconnects = 0;
  host: AnyHost | null = null;
  /** Runs whose signals made this service throw: it takes no further part in them. */
  private readonly quarantined = new Set<string>();
  /**
   * Runs recorded into the log by an embedded run (RunCreated mode 'embedded'): that process runs
   * all four subsystems itself, so a service that took the run on too would write a second
   * measurement (or clamping, …) stream into it — refused by the log as an overlap, and, when the
   * service's batch landed first, the embedded run's own append refused instead.
   */
  private readonly embedded = new Set<string>();
  /** Runs being taken on again (a resume): their signals wait here until the host holds the run. */
  private readonly rejoining = new Map<string, Signal[]>();
  /** The supervisor's runs, for their catalogue entries. */
  private readonly created = new Map<string, Signal<'RunCreated'>>();
  /** Services the supervisor has not heard from within the presence timeout (learning frozen while any is). */
  missing: ReadonlyArray<Source> = [];

  constructor(
    @Inject(SERVICE_NAME) readonly service: Source,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {
    this.logger = new Logger(`metatwin:${service}`);
  }

  async onModuleInit(): Promise<void> {
    // One connection: the event log (signals go through it, log-first), presence and dead letters.
    const log = await JetStreamEventLog.connect({
      servers: this.config.natsUrl,
      reconnectForever: true,
      timeout_ms: 1000,
      name: `metatwin-${this.service}`,
      limits: this.config.logLimits,
      security: this.config.security,
    });
    this.log = log;
    const nc = log.connection;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'reconnect') this.reconnects++;
        if (s.type === 'disconnect') this.logger.warn(`NATS ${this.config.natsUrl} went away: learning stays frozen, nothing is dropped; reconnecting`);
        if (s.type === 'reconnect') this.logger.log(`NATS ${this.config.natsUrl} is back: catching up from the event log`);
      }
    })();
    // Signatures (METATWIN_SIGNING_SEED / _KEYS): a misconfiguration stops the service here, naming it.
    const { signer, verifier } = signingFromEnv(process.env);
    if (signer && verifier && signer.publicKey !== verifier.publicKeyOf(this.service))
      throw new Error(`METATWIN_SIGNING_SEED is not ${this.service}'s key in METATWIN_SIGNING_KEYS: the others would refuse everything it sends`);
    if (signer || verifier)
      this.logger.log(`signatures: ${signer ? 'signing what it sends' : 'not signing'}; ${verifier ? "refusing batches without their source's signature" : 'not verifying'}`);
    const bus = new LogBus({
      log,
      service: this.service,
      signer,
      verifier,
      onAppendStatus: (st) =>
        st.waiting ? this.logger.warn(`event log append failing (${st.reason ?? ''}); retrying until stored`) : this.logger.log('event log appends go through again'),
      onAppendRefused: (runId, err) => this.logger.error(`run ${runId}: the event log refused this service's signals: ${err.message}`),
    });
    this.bus = bus;
    // A pinned adapter (METATWIN_<SUBSYSTEM>) that cannot be built stops the service here, not mid-run.
    assertPinnedBuildable(this.service, process.env);
    const host = createHost(this.service, {
      publish: (s) => {
        bus.publish(s);
        if (
          this.service === 'supervisor' &&
          (s.type === 'RunCreated' || s.type === 'RunFinished' || s.type === 'RunAborted' || s.type === 'RunCancelled' || s.type === 'RunResumed')
        )
          void this.catalogue(s);
      },
      env: process.env,
      supervisor: { window: 64, autoPump: true, refillBelow: 32 },
      onError: (runId, err) => this.logger.error(`run ${runId}: ${(err as Error).message}`),
    });
    this.host = host;
    bus.subscribe(
      host.decider.listensTo,
      (s) => {
        if (s.type === 'RunCreated' && s.data.mode === 'embedded') return void this.embedded.add(s.meta.runId);
        if (this.quarantined.has(s.meta.runId) || this.embedded.has(s.meta.runId)) return;
        const waiting = this.rejoining.get(s.meta.runId);
        if (waiting) return void waiting.push(s);
        if (s.type === 'RunResumed' && host.stateOf(s.meta.runId) === undefined) return void this.rejoin(host, s.meta.runId, [s]);
        const t0 = performance.now();
        try {
          host.handle(s);
        } catch (err) {
          this.quarantine(host, s, err as Error);
        }
        const dt = performance.now() - t0;
        this.latency.sum += dt;
        this.latency.n++;
        if (dt > this.latency.max) this.latency.max = dt;
      },
      host.decider.accepts,
    );
    // What the log holds now is read by recovery; delivery goes on from the next stored batch.
    const readThrough = await log.lastStreamSequence();
    await this.recover(host, log);
    await bus.start({ fromStreamSeq: readThrough + 1 });
    if (this.config.influx) await this.startInflux();
    this.startPresence(nc, host);
    // A run on this service's hardware bridge: the controller link's state in the service's log.
    onControllerState((target, state, reason) => (state === 'down' ? this.logger.warn : this.logger.log).call(this.logger, `controller ${target}: link ${state} (${reason})`));
    this.logger.log(`listening on ${this.config.natsUrl} (log-first: JetStream stream ${log.stream})`);
  }

  /**
   * InfluxDB: every service writes its health once a second (wall-clock time: these are
   * figures about the processes, not the physics); the measurement service also projects
   * the event log — following JetStream from now, and filling each run's earlier records
   * from the log — so InfluxDB can be rebuilt or caught up and is never the only copy.
   */
  private async startInflux(): Promise<void> {
    const target = this.config.influx as NonNullable<ServiceConfig['influx']>;
    let lastError = 0;
    this.sink = new InfluxSink(target, {
      onError: (err, attempt) => {
        if (Date.now() - lastError > 5000)
          this.logger.warn(`InfluxDB ${target.url}: ${err.message} (attempt ${attempt}; retrying, nothing is lost: the event log holds every signal)`);
        lastError = Date.now();
      },
    });
    let handled = this.bus?.received ?? 0;
    let at = Date.now();
    this.healthTimer = setInterval(() => {
      const now = Date.now();
      const h = this.health();
      const points: Point[] = [
        {
          measurement: MEASUREMENTS.service,
          tags: { service: this.service },
          fields: {
            handled: h.received,
            rate_per_s: ((h.received - handled) * 1000) / Math.max(1, now - at),
            latency_mean_ms: this.latency.n ? this.latency.sum / this.latency.n : 0,
            latency_max_ms: this.latency.max,
            dead_letters: h.deadLetters,
            nats_reconnects: h.natsReconnects,
            recorded: h.recorded,
          },
          time_us: now * 1000,
        },
      ];
      // Its bridges' links to their controllers (none unless a subsystem is pinned to one).
      points.push(...controllerLinkPoints(this.service, controllerLinks(), now * 1000));
      if (this.projector && this.sink)
        points.push({
          measurement: MEASUREMENTS.projector,
          tags: { projector: this.service },
          fields: { stream_seq: this.projectedStreamSeq, points: this.projector.points, pending: this.sink.stats.pending },
          time_us: now * 1000,
        });
      handled = h.received;
      at = now;
      this.latency = { sum: 0, max: 0, n: 0 };
      // Health is about now: when InfluxDB is away and the buffer is full, skip rather than wait.
      if (this.sink && this.sink.stats.pending < 10_000) void this.sink.write(points);
    }, 1000);
    if (this.service !== 'measurement') return;
    if (!this.log) return;
    const projector = new LogProjector({ log: this.log, sink: this.sink, onWarning: (m) => this.logger.warn(m) });
    this.projector = projector;
    // A stored message that is no batch of its subject's run and source (garbage, a forgery on
    // a writer's own subject claiming another run) is left out of the projection, never
    // projected as what it claims; the first and every 1,000th are logged.
    let skipped = 0;
    const { batches, stop } = await this.log.follow({
      onCorrupt: (err) => {
        if (skipped++ % 1000 === 0) this.logger.warn(`projection skips what is no batch of its subject (${skipped} so far): ${err.message.slice(0, 300)}`);
      },
    });
    this.stopFollowing = stop;
    void (async () => {
      try {
        for await (const b of batches) {
          // A failed batch is reported (onWarning) and left as a gap, which the next batch of
          // that run and source fills from the log.
          await projector.accept(b).catch(() => undefined);
          this.projectedStreamSeq = b.streamSeq;
        }
      } catch (err) {
        this.logger.error(`projection stopped: ${(err as Error).message}`);
      }
    })();
    this.logger.log(`projecting the event log into InfluxDB ${target.url}`);
  }

  /**
   * Heartbeats on core NATS (wall clock, outside the physics): every service says it is alive;
   * the supervisor watches the others and holds learning frozen while any is missing, as the
   * Arduino would stop its loop when a subsystem stopped answering.
   */
  private startPresence(nc: NatsConnection, host: AnyHost): void {
    const lastSeen = new Map<Source, number>();
    const supervisor = host.source === 'supervisor' ? (host as SupervisorHost) : null;
    if (supervisor) {
      nc.subscribe(SUBJECTS.allPresence, { callback: (_err, m) => lastSeen.set(m.subject.split('.')[2] as Source, Date.now()) });
    }
    this.presenceTimer = setInterval(() => {
      if (nc.isClosed()) return;
      nc.publish(SUBJECTS.presence(this.service));
      if (supervisor) {
        const now = Date.now();
        const missing = SOURCES.filter((s) => s !== this.service && now - (lastSeen.get(s) ?? -Infinity) > PRESENCE_MISSING_AFTER_MS);
        if (missing.join() === this.missing.join()) return;
        this.logger.log(missing.length ? `missing: ${missing.join(', ')} — learning frozen` : 'all services present — learning resumes');
        const released = this.missing.length > 0 && missing.length === 0;
        this.missing = missing;
        for (const runId of supervisor.runIds()) {
          supervisor.adjust(runId, (st) => withMissing(st, missing));
          if (released) supervisor.command(runId, { type: 'Pump' });
        }
      }
    }, PRESENCE_EVERY_MS);
  }

  /**
   * The supervisor starts and ends runs, so it keeps their catalogue entries: once the
   * marker is stored (the run's every other signal was stored before it could end).
   */
  private async catalogue(s: Signal<'RunCreated' | 'RunFinished' | 'RunAborted' | 'RunCancelled' | 'RunResumed'>): Promise<void> {
    const bus = this.bus;
    const log = this.log;
    if (!bus || !log) return;
    const runId = s.meta.runId;
    try {
      if (s.type === 'RunCreated') this.created.set(runId, s);
      const created = this.created.get(runId);
      if (!created) return;
      const { experiment, mode } = created.data;
      await bus.settle();
      if (s.type === 'RunCreated' || s.type === 'RunResumed')
        await log.putEntry(runEntry(runId, { experiment, mode, status: 'running', steps: s.type === 'RunResumed' ? s.data.step : 0 }, Date.now()));
      else {
        // A cancelled run may be resumed; a finished or aborted one is done with.
        if (s.type !== 'RunCancelled') this.created.delete(runId);
        const ended =
          s.type === 'RunFinished'
            ? { status: 'finished' as const, steps: s.data.steps }
            : { status: s.type === 'RunAborted' ? ('aborted' as const) : ('cancelled' as const), steps: s.data.step, reason: s.data.reason };
        await catalogueEnd(log, runId, { experiment, mode, ...ended }, Date.now());
      }
    } catch (err) {
      this.logger.warn(`run ${runId}: catalogue entry not written (${(err as Error).message}); metatwin runs reads the run instead`);
    }
  }

  /**
   * Resume a cancelled or interrupted run (the supervisor, on request): rebuild it from the
   * log as after a restart, record RunResumed and go on; the other services take it on again
   * when they read RunResumed.
   */
  async resume(runId: string): Promise<void> {
    const host = this.host as SupervisorHost | null;
    const log = this.log;
    if (!host || !log || host.source !== 'supervisor') throw new Error('this service is not the supervisor');
    const held = host.stateOf(runId);
    if (held !== undefined) {
      // Cancelled here and kept (a cancelled run stays with every service until resumed or a restart).
      if (held.phase !== 'ended') throw new Error(`run ${runId} is running`);
      host.command(runId, { type: 'Resume' });
      return;
    }
    const signals = await readRunSignals(log, runId);
    const created = signals.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
    if (!created) throw new Error(`no run ${runId} in the event log (see metatwin runs)`);
    const end = lastMarker(signals);
    if (end === 'RunFinished' || end === 'RunAborted')
      throw new Error(`run ${runId} ${end === 'RunFinished' ? 'finished' : 'aborted'}: only a cancelled or interrupted run can be resumed`);
    recoverRun(host, signals, await log.lastSequence(runId, this.service));
    this.created.set(runId, created);
    host.adjust(runId, (st) => withMissing(st, this.missing));
    host.command(runId, { type: 'Resume' });
  }

  /**
   * A run's signal made this service throw (a poison run): leave the run — its state may be
   * half-changed — and say so in the log: RunFaulted with the reason, on which the supervisor
   * aborts it (the supervisor itself records RunAborted). At a restart the run is skipped, so a
   * poison run never crash-loops a service.
   */
  private quarantine(host: AnyHost, s: Signal, err: Error): void {
    const runId = s.meta.runId;
    const reason = `${s.type}: ${err.message}`.slice(0, 1000);
    this.quarantined.add(runId);
    this.logger.error(`run ${runId} quarantined: ${reason} (this service takes no further part in it)`);
    const seq = host.lastSequence(runId) + 1;
    host.detach(runId);
    const meta = { v: CONTRACT_VERSION, runId, source: this.service, seq, t_ns: 0 } as const;
    this.bus?.publish(
      this.service === 'supervisor'
        ? { type: 'RunAborted', meta, data: { reason: `supervisor: ${reason}`, step: 0 } }
        : { type: 'RunFaulted', meta, data: { service: this.service, reason } },
    );
  }

  /** Take a resumed run on again from the log; its signals that arrive meanwhile wait, then are handled. */
  private async rejoin(host: AnyHost, runId: string, waiting: Signal[]): Promise<void> {
    const log = this.log;
    if (!log) return;
    this.rejoining.set(runId, waiting);
    try {
      const signals = await readRunSignals(log, runId);
      // An embedded run resumed in its own process (metatwin resume) is not the services' to take on.
      if (signals.some((x) => x.type === 'RunCreated' && x.data.mode === 'embedded')) {
        this.embedded.add(runId);
        waiting.length = 0;
        return;
      }
      const { resumeFrom } = recoverRun(host, signals, await log.lastSequence(runId, this.service));
      host.announce(runId, 'ServiceStarted', { service: this.service, resumeFrom });
      this.logger.log(`took run ${runId} on again (resumed) from step ${resumeFrom}`);
    } catch (err) {
      this.logger.error(`run ${runId} not taken on again: ${(err as Error).message}`);
    } finally {
      this.rejoining.delete(runId);
      for (const s of waiting) host.handle(s);
    }
  }

  /** Rebuild every unfinished run from the log, continue its sequence numbers and announce this service. */
  private async recover(host: AnyHost, log: JetStreamEventLog): Promise<void> {
    // The catalogue says which runs ended: only the others are read (start-up time does not grow with the log).
    const [runIds, entries] = await Promise.all([log.runIds(), log.entries()]);
    const ended = new Set(entries.filter((e) => e.status !== 'running').map((e) => e.run));
    const open = runIds.filter((id) => !ended.has(id));
    this.logger.log(`event log holds ${runIds.length} run(s), ${open.length} not ended in the catalogue; reading those`);
    for (const runId of open) {
      let recovered: ReturnType<typeof recoverRun>;
      try {
        // A long run is read from its latest snapshot on (its tail), a short one — or one whose
        // tail does not hold all a service needs — whole.
        const t0 = performance.now();
        const tail = await readRunTail(log, runId);
        const signals = tail?.signals ?? (await readRunSignals(log, runId));
        const read_ms = Math.round(performance.now() - t0);
        this.logger.log(
          tail
            ? `run ${runId}: read its tail from stream sequence ${tail.fromPosition} (after the snapshot of step ${tail.afterStep}): ${signals.length} signals in ${read_ms} ms`
            : `run ${runId}: read whole (no snapshot to start from): ${signals.length} signals in ${read_ms} ms`,
        );
        const created = signals.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
        if (lastMarker(signals) !== null || !created) continue;
        // An interrupted embedded run is resumed by its own process, never by the services.
        if (created.data.mode === 'embedded') {
          this.embedded.add(runId);
          continue;
        }
        if (signals.some((s) => s.type === 'RunFaulted' && s.meta.source === this.service)) {
          this.quarantined.add(runId);
          this.logger.warn(`run ${runId} stays quarantined: this service could not handle it before`);
          continue;
        }
        recovered = recoverRun(host, signals, await log.lastSequence(runId, this.service), tail?.afterStep);
        if (host.source === 'supervisor') this.created.set(runId, created);
      } catch (err) {
        // One unreadable run (an older contract's log) must not stop the service.
        this.logger.warn(`run ${runId} not resumed: ${(err as Error).message}`);
        continue;
      }
      const { resumeFrom, mismatchedSteps, redrivenFrom, onHardware } = recovered;
      if (mismatchedSteps > 0) this.logger.warn(`run ${runId}: ${mismatchedSteps} re-driven snapshot(s) differ from the logged ones`);
      host.announce(runId, 'ServiceStarted', { service: this.service, resumeFrom });
      if (host.source === 'supervisor') (host as SupervisorHost).command(runId, { type: 'Pump' });
      const from = onHardware
        ? ' (the board taken up as it is: nothing re-driven)'
        : redrivenFrom === undefined
          ? ''
          : redrivenFrom < 0
            ? ' (re-driven from the start)'
            : ` (re-driven from the snapshot after step ${redrivenFrom})`;
      this.logger.log(`resumed run ${runId} from step ${resumeFrom}${from}`);
    }
  }

  health(): Health {
    return {
      service: this.service,
      ok: this.log !== null && !this.log.connection.isClosed(),
      received: this.bus?.received ?? 0,
      deadLetters: this.bus?.deadLetters ?? 0,
      recorded: this.bus?.stored ?? 0,
      natsReconnects: this.reconnects,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    await this.stopFollowing?.();
    await this.projector?.idle();
    await this.sink?.flush(5000);
    await this.sink?.close();
    await this.bus?.close();
    await this.log?.close();
    await closeControllerLinks();
  }
}

/** The run's last end or resume marker: null while it runs (never ended, or resumed since). */
function lastMarker(signals: ReadonlyArray<Signal>): 'RunFinished' | 'RunAborted' | 'RunCancelled' | null {
  let end: 'RunFinished' | 'RunAborted' | 'RunCancelled' | null = null;
  for (const s of signals) {
    if (s.type === 'RunFinished' || s.type === 'RunAborted' || s.type === 'RunCancelled') end = s.type;
    else if (s.type === 'RunResumed') end = null;
  }
  return end;
}
