/**
 * The host's controller link against the board emulator, over TCP and over a socat
 * pseudo-terminal: greeting and version, a training step on the emulated network, corrupted
 * frames caught by the CRC and sent again, duplicated frames applied once, a cut link waited
 * through, a newer protocol refused, and the controller's fail-safe when the host goes quiet.
 */
import { connect } from 'node:net';
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { decodeMessage, encodeFrame, type Reply } from '@metatwin/protocol';
import { ControllerLink, linkOptionsFrom, serialTransport, tcpTransport, transportOf, type LinkState } from './index';

function xor(): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps: 100 }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An emulator on TCP and a link to it. */
async function rig(options: ConstructorParameters<typeof BoardEmulator>[1] = {}, link: Parameters<typeof ControllerLink.open>[1] = {}) {
  const board = new EmulatedBoard(xor());
  const emulator = new BoardEmulator(board, options);
  const port = await emulator.listenTcp();
  const controller = await ControllerLink.open(tcpTransport('127.0.0.1', port), { timeout_ms: 40, ...link });
  return { board, emulator, port, controller, close: async () => (await controller.close(), await emulator.close()) };
}

/** One XOR training step as the paper's controller does it: inputs and label, then a pulse of t_h. */
async function trainingStep(link: ControllerLink, k: number): Promise<Reply[]> {
  return [
    await link.request({
      kind: 'dacWrite',
      writes: [
        { channel: 0, code: k % 2 ? 255 : 0 },
        { channel: 1, code: k % 3 ? 255 : 0 },
        { channel: 4, code: 128 },
      ],
    }),
    await link.request({ kind: 'learnPulse', duration_us: 100, run: 1, index: k }),
  ];
}

describe('controller link ↔ board emulator', () => {
  it('greets the controller, and a training step evolves the emulated gates', async () => {
    const r = await rig();
    try {
      expect(r.controller.state).toBe('up');
      expect(r.controller.version).toMatchObject({ protocol: 1, firmwareMajor: 1, dacChannels: 8, potPositions: 128, demuxAddresses: 32 });
      expect(
        await r.controller.request({
          kind: 'dacWrite',
          writes: [
            { channel: 2, code: 63 },
            { channel: 3, code: 228 },
          ],
        }),
      ).toEqual({ kind: 'ack', command: 0x10 });
      const before = Float64Array.from(r.board.twin.gates_V);
      expect(await trainingStep(r.controller, 1)).toEqual([
        { kind: 'ack', command: 0x10 },
        { kind: 'pulseDone', duration_us: 100, applied: true },
      ]);
      expect(r.board.twin.gates_V).not.toEqual(before);
      await r.controller.request({ kind: 'demuxSelect', address: 1 });
      const read = await r.controller.request({ kind: 'adcRead', repeats: 3 });
      expect(read.kind === 'adcCodes' && read.samples.length).toBe(3);
      // A field out of range is answered with an error naming it.
      expect(await r.controller.request({ kind: 'scheduleRun', fromStep: 0, count: 5, reportEvery: 1 })).toMatchObject({ kind: 'error', code: 'schedule-gap' });
    } finally {
      await r.close();
    }
  });

  it('with 20 % of frames corrupted each way, every command is answered and applied once (CRC catches, the host sends again)', async () => {
    const r = await rig({ faults: { corrupt: 0.2 }, faultSeed: 7 });
    try {
      for (let k = 0; k < 40; k++) expect((await trainingStep(r.controller, k)).map((m) => m.kind)).toEqual(['ack', 'pulseDone']);
      expect(r.emulator.stats.corrupted).toBeGreaterThan(5);
      expect(r.controller.stats.retries).toBeGreaterThan(0);
      expect(r.controller.stats.badFrames + r.emulator.session.stats.dropped).toBeGreaterThan(0);
      expect(r.emulator.session.stats.applied).toBe(80);
    } finally {
      await r.close();
    }
  });

  it('duplicated, dropped and reordered frames: each command applied exactly once, answered from memory when repeated', async () => {
    const r = await rig({ faults: { duplicate: 0.2, drop: 0.05, reorder: 0.05 }, faultSeed: 3 });
    try {
      for (let k = 0; k < 40; k++) expect((await trainingStep(r.controller, k)).map((m) => m.kind)).toEqual(['ack', 'pulseDone']);
      expect(r.emulator.stats.duplicated).toBeGreaterThan(5);
      expect(r.emulator.session.stats.repeated).toBeGreaterThan(0);
      expect(r.emulator.session.stats.applied).toBe(80);
    } finally {
      await r.close();
    }
  });

  it('a cut link is a state: down, then up again, and the command in flight completes once', async () => {
    const r = await rig({}, { timeout_ms: 30, retries: 2, reconnect_ms: 50 });
    const states: LinkState[] = [];
    r.controller.onState((s) => states.push(s));
    try {
      await trainingStep(r.controller, 0);
      r.emulator.disconnect(300);
      const t0 = performance.now();
      expect((await trainingStep(r.controller, 1)).map((m) => m.kind)).toEqual(['ack', 'pulseDone']);
      expect(performance.now() - t0).toBeGreaterThan(250);
      // While the cable is out the emulator's port accepts and drops each connection: the link
      // goes between connecting and down until a greeting is answered.
      expect([states[0], states[states.length - 1]]).toEqual(['down', 'up']);
      expect(states.slice(1, -1).every((s) => s === 'connecting' || s === 'down')).toBe(true);
      expect(r.controller.stats.reconnects).toBeGreaterThanOrEqual(1);
      expect(r.emulator.session.stats.applied).toBe(4);
    } finally {
      await r.close();
    }
  });

  it('a frame from a newer protocol version is refused with an error naming both versions', async () => {
    const r = await rig();
    const socket = connect({ host: '127.0.0.1', port: r.port });
    try {
      const decoder = new SlipDecoder();
      socket.pipe(decoder);
      const answer = new Promise<Reply>((resolve) => decoder.once('data', (f: Buffer) => resolve(decodeMessage(Uint8Array.from(f)).message as Reply)));
      const encoder = new SlipEncoder({ bluetoothQuirk: true });
      encoder.pipe(socket);
      encoder.write(Buffer.from(encodeFrame({ version: 2, type: 0x02, seq: 9, payload: new Uint8Array() })));
      expect(await answer).toEqual({
        kind: 'error',
        command: 0x02,
        code: 'unsupported-version',
        message: 'frame from protocol version 2; this side speaks version 1 (update it to talk to this peer)',
      });
    } finally {
      socket.destroy();
      await r.close();
    }
  });

  it("the controller's fail-safe: quiet while the host sends heartbeats, acting once the host goes silent", async () => {
    const r = await rig({ failSafe_ms: 150 }, { heartbeat_ms: 40 });
    try {
      await sleep(400);
      expect(r.emulator.session.stats.failSafes).toBe(0);
      await r.controller.close();
      await sleep(300);
      expect(r.emulator.session.stats.failSafes).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('the same over a socat pseudo-terminal pair (a serial line)', async () => {
    const emulator = new BoardEmulator(new EmulatedBoard(xor()), { faults: { corrupt: 0.1 }, faultSeed: 5 });
    const path = await emulator.openPty();
    const controller = await ControllerLink.open(serialTransport(path), { timeout_ms: 50 });
    try {
      expect(controller.version?.protocol).toBe(1);
      for (let k = 0; k < 10; k++) expect((await trainingStep(controller, k)).map((m) => m.kind)).toEqual(['ack', 'pulseDone']);
      expect(emulator.session.stats.applied).toBe(20);
    } finally {
      await controller.close();
      await emulator.close();
    }
  });

  it('time-outs and retries come from the environment; a bad value or controller address is named', () => {
    expect(linkOptionsFrom({ METATWIN_LINK_TIMEOUT_MS: '25', METATWIN_LINK_RETRIES: '0', OTHER: 'x' })).toEqual({ timeout_ms: 25, retries: 0 });
    expect(() => linkOptionsFrom({ METATWIN_LINK_TIMEOUT_MS: '0.5' })).toThrow('METATWIN_LINK_TIMEOUT_MS must be an integer in 1..3600000, got "0.5"');
    expect(transportOf('/dev/ttyACM0@9600').describe).toBe('serial:/dev/ttyACM0@9600');
    expect(() => transportOf('/dev/ttyACM0@fast')).toThrow('controller /dev/ttyACM0@fast: the baud rate must be a positive integer, got fast');
  });
});
