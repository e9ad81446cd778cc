/**
 * The I/O controller's firmware, as the emulator runs it: frames in, frames out, the board
 * driven in between (docs/protocol.md). Time is passed in (`now_ms`), so the fail-safe and
 * the autonomous schedule are deterministic under test.
 *
 * - Every command is answered with its seq: ack, its reply, or an error naming the command.
 * - Frames that fail the size, length or CRC check are dropped unanswered (the host retries).
 * - The answers to each host session's last 16 commands are remembered: a command sent again
 *   (same seq, same bytes) gets the same answer and is not applied again — also when it comes
 *   on a new connection, as a host sends its command in flight again after the link was cut
 *   (its hello names the same session). A restarted host, or another host process on the same
 *   TCP controller, says hello with its own session and is answered from its own memory only.
 * - No valid frame for `failSafe_ms`: learn-enable off, DACs held, a schedule stopped.
 */
import {
  FrameError,
  MessageError,
  PROTOCOL_VERSION,
  TYPE_OF,
  crc16,
  decodeMessage,
  encodeMessage,
  isCommand,
  type Command,
  type DacPair,
  type ErrorCode,
  type Reply,
  type ScheduleEndReason,
} from '@metatwin/protocol';
import { BoardFault, type Board } from './board';

export const FIRMWARE = { major: 1, minor: 0 } as const;
const REMEMBERED = 16;
/** Host sessions whose answers the controller remembers. */
const SESSIONS = 8;
/** Runs whose last applied pulse the controller remembers. */
const RUNS_REMEMBERED = 8;
const STEPS_PER_TICK = 64;

/** A host's connection: the session its hello named (null before one). */
export interface HostConnection {
  session: number | null;
}

export interface SessionOptions {
  /** Silence after which the fail-safe acts (ms; default 500). */
  readonly failSafe_ms?: number;
  /** The protocol version this firmware speaks (default the codec's). */
  readonly version?: number;
}

export interface SessionStats {
  /** Commands applied to the board (a duplicate is not counted twice). */
  applied: number;
  /** Frames dropped: bad size, length or CRC. */
  dropped: number;
  /** Commands answered again from memory (duplicates and retries). */
  repeated: number;
  /** Times the fail-safe acted. */
  failSafes: number;
  /** Learn-enable pulses applied (a pulse sent again is not counted twice). */
  pulses: number;
}

interface Schedule {
  readonly writeSets: Map<number, ReadonlyArray<DacPair>>;
  readonly steps: Array<{ writeSet: number; pulse_us: number }>;
  running: { seq: number; next: number; end: number; reportEvery: number; reportedFrom: number } | null;
}

export class ControllerSession {
  readonly stats: SessionStats = { applied: 0, dropped: 0, repeated: 0, failSafes: 0, pulses: 0 };
  private readonly version: number;
  private readonly failSafe_ms: number;
  /** Remembered answers per host session (the last SESSIONS sessions; null: a host that never said hello). */
  private readonly sessions = new Map<number | null, Map<number, { crc: number; frames: Uint8Array[] }>>();
  private readonly defaultConnection: HostConnection = { session: null };
  private readonly schedule: Schedule = { writeSets: new Map(), steps: [], running: null };
  /** Per run (its hash): the number of the last pulse applied. */
  private readonly pulsed = new Map<number, number>();
  private lastValid_ms: number | null = null;
  private safe = false;
  private started_ms: number | null = null;

  constructor(
    private readonly board: Board,
    options: SessionOptions = {},
  ) {
    this.version = options.version ?? PROTOCOL_VERSION;
    this.failSafe_ms = options.failSafe_ms ?? 500;
  }

  /** A frame received (SLIP removed) at `now_ms` on `connection`: the frames to send back. */
  receive(bytes: Uint8Array, now_ms: number, connection: HostConnection = this.defaultConnection): Uint8Array[] {
    this.started_ms ??= now_ms;
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(bytes, this.version);
    } catch (err) {
      if (err instanceof FrameError && err.problem === 'version' && err.header) {
        this.lastValid_ms = now_ms;
        return [this.error(err.header.seq, err.header.type, 'unsupported-version', err.message)];
      }
      if (err instanceof MessageError && bytes.length >= 4) {
        this.lastValid_ms = now_ms;
        return [this.error(bytes[2] | (bytes[3] << 8), bytes[1], err.code, err.message)];
      }
      this.stats.dropped++;
      return [];
    }
    this.lastValid_ms = now_ms;
    const { frame, message } = decoded;
    if (!isCommand(message)) return [this.error(frame.seq, frame.type, 'unknown-type', `${message.kind} is a reply, not a command`)];
    // A hello names the host's session: this connection's commands are that host's from now on.
    if (message.kind === 'hello') connection.session = message.session;
    const answers = this.answersOf(connection.session);
    const crc = crc16(bytes);
    const remembered = answers.get(frame.seq);
    if (remembered?.crc === crc) {
      this.stats.repeated++;
      return remembered.frames;
    }
    if (message.kind !== 'heartbeat') this.safe = false;
    const frames = this.apply(message, frame.seq, now_ms);
    answers.delete(frame.seq);
    answers.set(frame.seq, { crc, frames });
    if (answers.size > REMEMBERED) answers.delete(answers.keys().next().value as number);
    return frames;
  }

  private answersOf(session: number | null): Map<number, { crc: number; frames: Uint8Array[] }> {
    let answers = this.sessions.get(session);
    if (answers === undefined) {
      this.sessions.set(session, (answers = new Map()));
      if (this.sessions.size > SESSIONS) this.sessions.delete(this.sessions.keys().next().value as number | null);
    }
    return answers;
  }

  /** Time passes: the fail-safe, and the steps of a running schedule. Frames to send. */
  tick(now_ms: number): Uint8Array[] {
    if (this.lastValid_ms !== null && now_ms - this.lastValid_ms > this.failSafe_ms && !this.safe) {
      this.safe = true;
      this.stats.failSafes++;
      // Learn-enable is off between pulses; the DACs hold. A schedule stops here.
      return this.schedule.running ? this.endSchedule('link-lost') : [];
    }
    return this.runSteps();
  }

  private apply(c: Command, seq: number, now_ms: number): Uint8Array[] {
    const reply = (r: Reply): Uint8Array[] => [encodeMessage(r, seq, this.version)];
    const ack = (): Uint8Array[] => reply({ kind: 'ack', command: TYPE_OF[c.kind] });
    const running = this.schedule.running !== null;
    if (running && c.kind !== 'heartbeat' && c.kind !== 'scheduleStop' && c.kind !== 'safeState')
      return [this.error(seq, TYPE_OF[c.kind], 'busy', `${c.kind} refused: a schedule is running (step ${this.schedule.running?.next})`)];
    try {
      switch (c.kind) {
        case 'hello':
          return reply({
            kind: 'version',
            protocol: Math.min(c.protocol, this.version),
            firmwareMajor: FIRMWARE.major,
            firmwareMinor: FIRMWARE.minor,
            dacChannels: 8,
            potPositions: 128,
            demuxAddresses: 32,
            maxPayload: 1024,
          });
        case 'heartbeat':
          return reply({
            kind: 'heartbeatAck',
            uptime_ms: Math.max(0, Math.round(now_ms - (this.started_ms ?? now_ms))),
            learnEnabled: false,
            autonomous: running,
            safe: this.safe,
          });
        case 'safeState': {
          this.stats.applied++;
          this.board.safeState();
          const stopped = running ? this.endSchedule('stopped') : [];
          return [...ack(), ...stopped];
        }
        case 'dacWrite':
          this.stats.applied++;
          this.board.dacWrite(c.writes);
          return ack();
        case 'learnPulse': {
          // A pulse of this run that was applied before (sent again after a host restarted) is not applied twice.
          const last = this.pulsed.get(c.run);
          if (last !== undefined && c.index <= last) {
            this.stats.repeated++;
            return reply({ kind: 'pulseDone', duration_us: c.duration_us, applied: false });
          }
          this.stats.applied++;
          this.stats.pulses++;
          const duration_us = this.board.learnPulse(c.duration_us);
          this.pulsed.delete(c.run);
          this.pulsed.set(c.run, c.index);
          if (this.pulsed.size > RUNS_REMEMBERED) this.pulsed.delete(this.pulsed.keys().next().value as number);
          return reply({ kind: 'pulseDone', duration_us, applied: true });
        }
        case 'potSet':
          this.stats.applied++;
          this.board.potSet(c.position);
          return ack();
        case 'demuxSelect':
          this.stats.applied++;
          this.board.demuxSelect(c.address);
          return ack();
        case 'adcRead':
          this.stats.applied++;
          return reply({ kind: 'adcCodes', samples: this.board.adcRead(c.repeats) });
        case 'adcScan':
          this.stats.applied++;
          if (c.writes.length > 0) this.board.dacWrite(c.writes);
          return reply({ kind: 'adcScanCodes', repeats: c.repeats, sums: this.board.adcScan(c.repeats, c.addresses) });
        case 'route':
          this.stats.applied++;
          this.board.route(c.mask, c.flags);
          return ack();
        case 'jigWrite':
          this.stats.applied++;
          this.board.jigWrite(c.writes);
          return ack();
        case 'scheduleWriteSet':
          this.stats.applied++;
          this.schedule.writeSets.set(c.index, c.writes);
          return ack();
        case 'scheduleSteps': {
          if (c.firstStep !== this.schedule.steps.length)
            return [
              this.error(seq, TYPE_OF[c.kind], 'schedule-gap', `scheduleSteps.firstStep ${c.firstStep} does not continue the schedule (next step ${this.schedule.steps.length})`),
            ];
          const unknown = c.writeSets.find((w) => !this.schedule.writeSets.has(w));
          if (unknown !== undefined) return [this.error(seq, TYPE_OF[c.kind], 'out-of-range', `scheduleSteps: write set ${unknown} was never loaded`)];
          this.stats.applied++;
          for (const w of c.writeSets) this.schedule.steps.push({ writeSet: w, pulse_us: c.pulse_us });
          return ack();
        }
        case 'scheduleRun': {
          const end = c.fromStep + c.count;
          if (end > this.schedule.steps.length)
            return [this.error(seq, TYPE_OF[c.kind], 'schedule-gap', `scheduleRun to step ${end} past the schedule's ${this.schedule.steps.length} steps`)];
          this.stats.applied++;
          this.schedule.running = { seq, next: c.fromStep, end, reportEvery: c.reportEvery, reportedFrom: c.fromStep };
          return ack();
        }
        case 'scheduleStop':
          return [...ack(), ...(running ? this.endSchedule('stopped') : [])];
        default: {
          const never: never = c;
          return never;
        }
      }
    } catch (err) {
      if (err instanceof BoardFault) return [this.error(seq, TYPE_OF[c.kind], 'device-fault', `${c.kind}: ${err.message}`)];
      throw err;
    }
  }

  /** Up to STEPS_PER_TICK schedule steps, with their reports. */
  private runSteps(): Uint8Array[] {
    const run = this.schedule.running;
    if (run === null) return [];
    const out: Uint8Array[] = [];
    try {
      for (let k = 0; k < STEPS_PER_TICK && run.next < run.end; k++) {
        const step = this.schedule.steps[run.next];
        this.board.dacWrite(this.schedule.writeSets.get(step.writeSet) ?? []);
        this.board.learnPulse(step.pulse_us);
        run.next++;
        if (run.next - run.reportedFrom >= run.reportEvery) out.push(...this.report(run));
      }
    } catch (err) {
      if (!(err instanceof BoardFault)) throw err;
      out.push(this.error(run.seq, TYPE_OF.scheduleRun, 'device-fault', `schedule step ${run.next}: ${err.message}`), ...this.endSchedule('stopped'));
      return out;
    }
    if (run.next >= run.end) out.push(...this.endSchedule('finished'));
    return out;
  }

  private report(run: NonNullable<Schedule['running']>): Uint8Array[] {
    if (run.next === run.reportedFrom) return [];
    const frame = encodeMessage({ kind: 'stepsDone', firstStep: run.reportedFrom, count: run.next - run.reportedFrom }, run.seq, this.version);
    run.reportedFrom = run.next;
    return [frame];
  }

  private endSchedule(reason: ScheduleEndReason): Uint8Array[] {
    const run = this.schedule.running;
    if (run === null) return [];
    this.schedule.running = null;
    return [...this.report(run), encodeMessage({ kind: 'scheduleDone', nextStep: run.next, reason }, run.seq, this.version)];
  }

  private error(seq: number, command: number, code: ErrorCode, message: string): Uint8Array {
    // The command byte names the command; the text names the field or the state that refused it.
    return encodeMessage({ kind: 'error', command, code, message: message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200) }, seq, this.version);
  }
}
