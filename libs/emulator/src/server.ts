/**
 * The board emulator on a byte stream: SLIP frames from the host into the controller session
 * and its answers back, over TCP or one end of a socat pseudo-terminal pair, with the faults
 * a real link has injected on purpose — frames dropped, corrupted (one bit flipped),
 * duplicated, reordered, delayed — and the link cut or the controller browned out on demand.
 * Faults are drawn from a seeded generator, so a test's fault pattern repeats.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import { Rng } from '@metatwin/physics';
import { SerialPort } from 'serialport';
import type { Board } from './board';
import { ControllerSession, type HostConnection, type SessionOptions } from './session';

export interface FaultRates {
  /** Probability per frame, each direction. */
  readonly drop?: number;
  readonly corrupt?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
}

export interface EmulatorOptions extends SessionOptions {
  readonly faults?: FaultRates;
  readonly faultSeed?: number;
  /** Delay of every answer (ms), as a slow controller or line. */
  readonly latency_ms?: number;
}

export interface EmulatorStats {
  framesIn: number;
  framesOut: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
  reordered: number;
}

const TICK_MS = 5;

export class BoardEmulator {
  readonly stats: EmulatorStats = { framesIn: 0, framesOut: 0, dropped: 0, corrupted: 0, duplicated: 0, reordered: 0 };
  session: ControllerSession;
  private readonly rng: Rng;
  private readonly streams = new Set<{ stream: Duplex; encoder: SlipEncoder }>();
  private held: { frame: Uint8Array; send: (f: Uint8Array) => void } | null = null;
  private cutUntil = 0;
  private readonly ticker: NodeJS.Timeout;
  private server: Server | null = null;
  private socat: ChildProcess | null = null;

  constructor(
    readonly board: Board,
    private readonly options: EmulatorOptions = {},
  ) {
    this.session = new ControllerSession(board, options);
    this.rng = new Rng(options.faultSeed ?? 1);
    this.ticker = setInterval(() => this.broadcast(this.session.tick(performance.now())), TICK_MS);
    this.ticker.unref();
  }

  /** Serve a connection: frames from it go to the controller, its answers back. */
  attach(stream: Duplex): void {
    if (performance.now() < this.cutUntil) return void stream.destroy();
    const encoder = new SlipEncoder({ bluetoothQuirk: true });
    const decoder = new SlipDecoder();
    encoder.pipe(stream);
    stream.pipe(decoder);
    const entry = { stream, encoder };
    this.streams.add(entry);
    stream.once('close', () => this.streams.delete(entry));
    stream.on('error', () => stream.destroy());
    const send = (frame: Uint8Array): void => this.inject(frame, (f) => encoder.write(Buffer.from(f)), 'out');
    // This host's session, once its hello names it: several hosts may share a TCP controller.
    const connection: HostConnection = { session: null };
    decoder.on('data', (chunk: Buffer) => {
      this.inject(
        Uint8Array.from(chunk),
        (frame) => {
          this.stats.framesIn++;
          const answers = this.session.receive(frame, performance.now(), connection);
          const latency = this.options.latency_ms ?? 0;
          if (latency > 0) setTimeout(() => answers.forEach(send), latency);
          else answers.forEach(send);
        },
        'in',
      );
    });
  }

  /** Listen for hosts on TCP (port 0: any free port); resolves with the port. */
  listenTcp(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket: Socket) => {
        socket.setNoDelay(true);
        this.attach(socket);
      });
      server.once('error', (err) => reject(new Error(`board emulator: cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => {
        this.server = server;
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** A socat pseudo-terminal pair: the emulator on one end; resolves with the host's end (a device path). */
  async openPty(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'metatwin-pty-'));
    const board = join(dir, 'board');
    const host = join(dir, 'host');
    const socat = spawn('socat', [`pty,raw,echo=0,link=${board}`, `pty,raw,echo=0,link=${host}`], { stdio: 'ignore' });
    this.socat = socat;
    const failed = new Promise<never>((_, reject) => {
      socat.once('error', (err) => reject(new Error(`board emulator: cannot start socat for a pseudo-terminal (${err.message}); install it (scripts/ensure-tools.sh)`)));
      socat.once('exit', (code) => reject(new Error(`board emulator: socat exited (code ${code}) before the pseudo-terminals were made`)));
    });
    const made = (async () => {
      for (let i = 0; i < 200 && !(existsSync(board) && existsSync(host)); i++) await new Promise((r) => setTimeout(r, 10));
      if (!existsSync(board) || !existsSync(host)) throw new Error('board emulator: socat made no pseudo-terminals in 2 s');
    })();
    await Promise.race([made, failed]);
    const port = new SerialPort({ path: board, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.attach(port);
    return host;
  }

  /** Cut every connection and refuse new ones for `ms`, as a pulled cable. */
  disconnect(ms: number): void {
    this.cutUntil = performance.now() + ms;
    for (const { stream } of this.streams) stream.destroy();
  }

  /** A brown-out reset: the controller forgets everything (its answers, a schedule) and the DACs go to 0. */
  brownOut(): void {
    this.board.safeState();
    this.session = new ControllerSession(this.board, this.options);
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    for (const { stream } of this.streams) stream.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    const socat = this.socat;
    if (socat && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill();
      await exited;
    }
  }

  private broadcast(frames: Uint8Array[]): void {
    for (const frame of frames) for (const { encoder } of this.streams) this.inject(frame, (f) => encoder.write(Buffer.from(f)), 'out');
  }

  /** Pass a frame on, or drop, corrupt, duplicate or hold it back behind the next one. */
  private inject(frame: Uint8Array, pass: (f: Uint8Array) => void, direction: 'in' | 'out'): void {
    if (direction === 'out') this.stats.framesOut++;
    const f = this.options.faults ?? {};
    const chance = (p: number | undefined): boolean => p !== undefined && p > 0 && this.rng.uniform() < p;
    if (chance(f.drop)) {
      this.stats.dropped++;
      return;
    }
    let out = frame;
    if (chance(f.corrupt)) {
      this.stats.corrupted++;
      out = frame.slice();
      const bit = Math.floor(this.rng.uniform() * out.length * 8);
      out[bit >> 3] ^= 1 << (bit & 7);
    }
    if (chance(f.reorder) && this.held === null) {
      this.stats.reordered++;
      this.held = { frame: out, send: pass };
      return;
    }
    pass(out);
    if (chance(f.duplicate)) {
      this.stats.duplicated++;
      pass(out);
    }
    const held = this.held;
    if (held !== null) {
      this.held = null;
      held.send(held.frame);
    }
  }
}
