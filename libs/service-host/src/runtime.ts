/**
 * What runs inside each service process: its core on the NATS signal bus, and a recorder
 * appending every signal the service emits to the JetStream event log. The Nest module
 * only creates this and exposes health and (for the supervisor) run start over
 * request/reply.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { NatsBus } from '@metatwin/bus';
import { PRESENCE_EVERY_MS, PRESENCE_MISSING_AFTER_MS, SOURCES, SUBJECTS, type Signal, type Source } from '@metatwin/contracts';
import { JetStreamEventLog, type EventLog } from '@metatwin/eventlog';
import { ClampingCore, EdgePhysicsCore, LogRecorder, MeasurementCore, SupervisorCore, readRunSignals, type Core } from '@metatwin/services';
import type { ServiceConfig } from './config';

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
  private bus: NatsBus | null = null;
  private log: EventLog | null = null;
  private recorder: LogRecorder | null = null;
  private timer: NodeJS.Timeout | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private reconnects = 0;
  core: Core | null = null;

  constructor(
    @Inject(SERVICE_NAME) readonly service: Source,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {
    this.logger = new Logger(`metatwin:${service}`);
  }

  async onModuleInit(): Promise<void> {
    const bus = await NatsBus.connect({ servers: this.config.natsUrl, service: this.service });
    this.bus = bus;
    void (async () => {
      for await (const s of bus.connection.status()) if (s.type === 'reconnect') this.reconnects++;
    })();
    if (this.config.record !== 'off') {
      this.log = await JetStreamEventLog.connect({ servers: this.config.record });
      this.recorder = new LogRecorder(this.log, [this.service], 2000);
      this.timer = setInterval(() => void this.flush(), this.config.flushEvery_ms);
    }
    const publish = (s: Signal): void => {
      bus.publish(s);
      this.recorder?.record(s);
    };
    this.core = createCore(this.service, publish);
    const core = this.core;
    // Live signals wait while unfinished runs are rebuilt from the log.
    const waiting: Signal[] = [];
    let recovering = this.log !== null;
    bus.subscribe(core.listensTo, (s) => (recovering ? waiting.push(s) : core.handle(s)), core.accepts);
    if (this.log) {
      await this.recover(core, this.log);
      recovering = false;
      for (const s of waiting.splice(0)) core.handle(s);
    }
    this.startPresence(bus, core);
    this.logger.log(`listening on ${this.config.natsUrl}${this.log ? ', recording to JetStream' : ''}`);
  }

  /**
   * Heartbeats on core NATS (wall clock, outside the physics): every service says it is alive;
   * the supervisor watches the others and holds learning frozen while any is missing, as the
   * Arduino would stop its loop when a subsystem stopped answering.
   */
  private startPresence(bus: NatsBus, core: Core): void {
    const nc = bus.connection;
    const lastSeen = new Map<Source, number>();
    if (core instanceof SupervisorCore) {
      nc.subscribe(SUBJECTS.allPresence, { callback: (_err, m) => lastSeen.set(m.subject.split('.')[2] as Source, Date.now()) });
    }
    this.presenceTimer = setInterval(() => {
      if (nc.isClosed()) return;
      nc.publish(SUBJECTS.presence(this.service));
      if (core instanceof SupervisorCore) {
        const now = Date.now();
        const missing = SOURCES.filter((s) => s !== this.service && now - (lastSeen.get(s) ?? -Infinity) > PRESENCE_MISSING_AFTER_MS);
        if (missing.join() !== core.missingServices.join()) this.logger.log(missing.length ? `missing: ${missing.join(', ')} — learning frozen` : 'all services present — learning resumes');
        core.setMissing(missing);
      }
    }, PRESENCE_EVERY_MS);
  }

  /** Rebuild every unfinished run from the log, continue its sequence numbers and announce this service. */
  private async recover(core: Core, log: EventLog): Promise<void> {
    const runIds = await log.runIds();
    this.logger.log(`event log holds ${runIds.length} run(s); looking for unfinished ones`);
    for (const runId of runIds) {
      const signals = await readRunSignals(log, runId);
      if (signals.some((s) => s.type === 'RunFinished' || s.type === 'RunAborted') || !signals.some((s) => s.type === 'RunCreated')) continue;
      core.resumeSequence(runId, await log.lastSequence(runId, this.service));
      const resumeFrom = core.recover(runId, signals);
      core.announce(runId, typeof resumeFrom === 'number' ? resumeFrom : 0);
      if (core instanceof SupervisorCore) core.pump(runId);
      this.logger.log(`resumed run ${runId}${typeof resumeFrom === 'number' ? ` from step ${resumeFrom}` : ''}`);
    }
  }

  private async flush(): Promise<void> {
    try {
      await this.recorder?.flush();
    } catch (err) {
      this.logger.error(`event log append failed: ${(err as Error).message}`);
    }
  }

  health(): Health {
    return { service: this.service, ok: this.bus !== null && !this.bus.connection.isClosed(), received: this.bus?.received ?? 0, deadLetters: this.bus?.deadLetters ?? 0, recorded: this.recorder?.recorded ?? 0, natsReconnects: this.reconnects };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    await this.flush();
    await this.log?.close();
    await this.bus?.close();
  }
}

function createCore(service: Source, publish: (s: Signal) => void): Core {
  switch (service) {
    case 'supervisor':
      return new SupervisorCore(publish, 64);
    case 'edge-physics':
      return new EdgePhysicsCore(publish);
    case 'clamping':
      return new ClampingCore(publish);
    case 'measurement':
      return new MeasurementCore(publish);
    default: {
      const never: never = service;
      throw new Error(`unknown service ${String(never)}`);
    }
  }
}
