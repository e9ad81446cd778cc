/**
 * The host's end of the I/O-controller protocol (docs/protocol.md): one command outstanding
 * at a time, numbered; an answer awaited for `timeout_ms` and the same frame sent again up to
 * `retries` times (the controller answers a repeat from memory, so it is applied once); a
 * heartbeat whenever the link has been idle for `heartbeat_ms`, so the controller's fail-safe
 * stays off while the host is alive.
 *
 * A lost link is a state, not an exception: when retries run out or the connection closes
 * the link is `down`, it opens the transport again every `reconnect_ms`, greets the controller
 * again, and sends the command in flight again — with the same seq, so a command the
 * controller applied just before the cut is not applied twice. `request` waits through it.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import { FrameError, MessageError, PROTOCOL_VERSION, decodeMessage, encodeMessage, type Command, type Reply } from '@metatwin/protocol';
import type { Transport } from './transport';

export type LinkState = 'connecting' | 'up' | 'down' | 'closed';

export interface LinkOptions {
  /** Wait for an answer before sending again (ms; default 100). */
  readonly timeout_ms?: number;
  /** Sends again before the link counts as lost (default 5). */
  readonly retries?: number;
  /** Idle time after which a heartbeat is sent (ms; default 100). */
  readonly heartbeat_ms?: number;
  /** Between attempts to open the transport again (ms; default 250). */
  readonly reconnect_ms?: number;
}

export interface LinkStats {
  framesSent: number;
  framesReceived: number;
  /** Frames refused on arrival (size, length or CRC). */
  badFrames: number;
  /** Commands sent again after a time-out. */
  retries: number;
  /** Answers that were not to the command outstanding (late duplicates). */
  stale: number;
  reconnects: number;
  /** Round trip of the last answered command, and the mean and largest (ms). */
  rtt_ms: number;
  rttMean_ms: number;
  rttMax_ms: number;
  answered: number;
}

export type VersionReply = Extract<Reply, { kind: 'version' }>;
/** What the controller sends unasked while a schedule runs. */
export type Unsolicited = Extract<Reply, { kind: 'stepsDone' | 'scheduleDone' }>;

interface Pending {
  readonly command: Command;
  readonly frame: Uint8Array;
  readonly seq: number;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
  sentAt: number;
  attempts: number;
}

export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}

export class ControllerLink {
  readonly stats: LinkStats = { framesSent: 0, framesReceived: 0, badFrames: 0, retries: 0, stale: 0, reconnects: 0, rtt_ms: 0, rttMean_ms: 0, rttMax_ms: 0, answered: 0 };
  private readonly events = new EventEmitter();
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private seq = 0;
  /** This link's session (kept across reconnects): a new one tells the controller that earlier seqs are not ours. */
  private readonly session = randomInt(0, 0x1_0000_0000);
  private stream: Duplex | null = null;
  private encoder: SlipEncoder | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastSent = 0;
  /** Fails the greeting under way when its connection is lost. */
  private greetingFailed: ((err: Error) => void) | null = null;
  private _state: LinkState = 'connecting';
  private _version: VersionReply | null = null;
  private readonly timeout_ms: number;
  private readonly retries: number;
  private readonly heartbeat_ms: number;
  private readonly reconnect_ms: number;

  private constructor(
    readonly transport: Transport,
    options: LinkOptions,
  ) {
    this.timeout_ms = options.timeout_ms ?? 100;
    this.retries = options.retries ?? 5;
    this.heartbeat_ms = options.heartbeat_ms ?? 100;
    this.reconnect_ms = options.reconnect_ms ?? 250;
  }

  /** Connect and greet the controller (hello → version); rejects when the first connection cannot be made. */
  static async open(transport: Transport, options: LinkOptions = {}): Promise<ControllerLink> {
    const link = new ControllerLink(transport, options);
    try {
      await link.attach(await transport.open());
    } catch (err) {
      await link.close();
      throw err;
    }
    link.startHeartbeat();
    return link;
  }

  /**
   * A link that connects in the background and keeps trying (every reconnect_ms) until it is
   * up: requests wait meanwhile. What a bridge adapter uses, so a controller not yet plugged
   * in is a state of the run (frozen), not a failure.
   */
  static connect(transport: Transport, options: LinkOptions = {}): ControllerLink {
    const link = new ControllerLink(transport, options);
    transport.open().then(
      (stream) => {
        if (link._state === 'closed') stream.destroy();
        else link.attach(stream).catch(() => undefined);
      },
      (err: Error) => link.lose(err.message),
    );
    link.startHeartbeat();
    return link;
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => this.keepAlive(), Math.max(10, Math.floor(this.heartbeat_ms / 2)));
  }

  get state(): LinkState {
    return this._state;
  }

  /** The controller's answer to hello: its protocol version (the one both speak) and its ranges. */
  get version(): VersionReply | null {
    return this._version;
  }

  onState(listener: (state: LinkState, reason: string) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  onUnsolicited(listener: (reply: Unsolicited) => void): () => void {
    this.events.on('unsolicited', listener);
    return () => this.events.off('unsolicited', listener);
  }

  /** Send a command and resolve with the controller's answer (an `error` reply included); waits through a lost link. */
  request(command: Command): Promise<Reply> {
    if (this._state === 'closed') return Promise.reject(new LinkClosedError(`the link to ${this.transport.describe} is closed`));
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    const frame = encodeMessage(command, seq);
    return new Promise((resolve, reject) => {
      this.queue.push({ command, frame, seq, resolve, reject, sentAt: 0, attempts: 0 });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this.setState('closed', 'closed by the host');
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const err = new LinkClosedError(`the link to ${this.transport.describe} closed`);
    for (const p of [...(this.current ? [this.current] : []), ...this.queue.splice(0)]) p.reject(err);
    this.current = null;
    this.stream?.destroy();
    this.stream = null;
  }

  /** Take a new connection into use and greet the controller on it. */
  private async attach(stream: Duplex): Promise<void> {
    this.stream = stream;
    const encoder = new SlipEncoder({ bluetoothQuirk: true });
    const decoder = new SlipDecoder();
    encoder.pipe(stream);
    stream.pipe(decoder);
    this.encoder = encoder;
    decoder.on('data', (frame: Buffer) => this.receive(Uint8Array.from(frame)));
    const lost = (why: string): void => {
      if (this.stream === stream) this.lose(why);
    };
    stream.once('close', () => lost('the connection closed'));
    stream.once('error', (err: Error) => lost(err.message));
    this.setState('connecting', `connected to ${this.transport.describe}`);
    // The greeting goes ahead of the queue; a command in flight is sent again after it.
    const resend = this.current;
    this.current = null;
    if (resend) this.queue.unshift(resend);
    const greeting = new Promise<void>((resolve, reject) => {
      this.greetingFailed = reject;
      const hello: Pending = {
        command: { kind: 'hello', protocol: PROTOCOL_VERSION, session: this.session },
        frame: encodeMessage({ kind: 'hello', protocol: PROTOCOL_VERSION, session: this.session }, this.seq),
        seq: this.seq,
        resolve: (reply) => {
          if (reply.kind === 'version') {
            this._version = reply;
            this.setState('up', `controller firmware ${reply.firmwareMajor}.${reply.firmwareMinor}, protocol ${reply.protocol}`);
            resolve();
          } else reject(new Error(`the controller at ${this.transport.describe} answered hello with ${reply.kind}${reply.kind === 'error' ? `: ${reply.message}` : ''}`));
        },
        reject,
        sentAt: 0,
        attempts: 0,
      };
      this.seq = (this.seq + 1) & 0xffff;
      this.queue.unshift(hello);
    });
    this.pump();
    try {
      await greeting;
    } catch (err) {
      // Refused (an error reply to hello): down, and tried again, the reason in the state.
      this.greetingFailed = null;
      this.lose((err as Error).message);
      throw err;
    } finally {
      this.greetingFailed = null;
    }
  }

  private receive(bytes: Uint8Array): void {
    this.stats.framesReceived++;
    let reply: Reply;
    let seq: number;
    try {
      const decoded = decodeMessage(bytes);
      seq = decoded.frame.seq;
      reply = decoded.message as Reply;
    } catch (err) {
      if (err instanceof FrameError || err instanceof MessageError) {
        this.stats.badFrames++;
        return;
      }
      throw err;
    }
    if (reply.kind === 'stepsDone' || reply.kind === 'scheduleDone') {
      this.events.emit('unsolicited', reply);
      return;
    }
    const p = this.current;
    if (p === null || seq !== p.seq) {
      this.stats.stale++;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.current = null;
    const rtt = performance.now() - p.sentAt;
    this.stats.rtt_ms = rtt;
    this.stats.answered++;
    this.stats.rttMean_ms += (rtt - this.stats.rttMean_ms) / this.stats.answered;
    if (rtt > this.stats.rttMax_ms) this.stats.rttMax_ms = rtt;
    p.resolve(reply);
    this.pump();
  }

  /** Send the next command when none is outstanding and the link can carry it. */
  private pump(): void {
    if (this.current !== null || this.encoder === null || this._state === 'down' || this._state === 'closed') return;
    const next = this.queue[0];
    if (next === undefined) return;
    // While greeting, only the hello goes out.
    if (this._state === 'connecting' && next.command.kind !== 'hello') return;
    this.queue.shift();
    this.current = next;
    this.send(next);
  }

  private send(p: Pending): void {
    p.attempts++;
    p.sentAt = performance.now();
    this.lastSent = p.sentAt;
    this.stats.framesSent++;
    this.encoder?.write(Buffer.from(p.frame));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.timedOut(p), this.timeout_ms);
  }

  private timedOut(p: Pending): void {
    if (this.current !== p) return;
    if (p.attempts <= this.retries) {
      this.stats.retries++;
      this.send(p);
      return;
    }
    this.lose(`no answer to ${p.command.kind} (seq ${p.seq}) after ${p.attempts} attempts of ${this.timeout_ms} ms`);
  }

  /** The link is down: drop the connection, keep what is outstanding, and open a new one until it works. */
  private lose(reason: string): void {
    if (this._state === 'down' || this._state === 'closed') return;
    if (this.timer) clearTimeout(this.timer);
    const stream = this.stream;
    this.stream = null;
    this.encoder = null;
    stream?.destroy();
    if (this.current?.command.kind === 'hello') this.current = null; // greeted again on the next connection
    this.greetingFailed?.(new Error(`the controller at ${this.transport.describe} did not answer hello: ${reason}`));
    this.setState('down', reason);
    const retry = (): void => {
      if (this._state === 'closed') return;
      this.transport.open().then(
        (s) => {
          if (this._state === 'closed') return void s.destroy();
          this.stats.reconnects++;
          this.attach(s).catch(() => undefined);
        },
        () => setTimeout(retry, this.reconnect_ms),
      );
    };
    setTimeout(retry, this.reconnect_ms);
  }

  private keepAlive(): void {
    if (this._state !== 'up' || this.current !== null || this.queue.length > 0) return;
    if (performance.now() - this.lastSent >= this.heartbeat_ms) void this.request({ kind: 'heartbeat' }).catch(() => undefined);
  }

  private setState(state: LinkState, reason: string): void {
    if (this._state === state) return;
    this._state = state;
    this.events.emit('state', state, reason);
  }
}
