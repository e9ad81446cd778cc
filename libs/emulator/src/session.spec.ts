/**
 * The emulated controller's firmware with time passed in: autonomous mode runs a downloaded
 * schedule exactly as the same steps sent one by one, reports as it goes and refuses other
 * commands meanwhile; the fail-safe stops it when the host falls silent; a brown-out forgets
 * the schedule and the remembered answers.
 */
import { outputNodes } from '@metatwin/contracts';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { JIG, ROUTE, decodeMessage, encodeMessage, jigCode, type Command, type Reply } from '@metatwin/protocol';
import { GATE_ADC, NODE_ADC, toCode } from '@metatwin/physics';
import { PAPER_DAC, dacCode, dacVoltage, patchMap } from '@metatwin/supervisor';
import { clampCircuit } from '@metatwin/clamping';
import { EmulatedBoard } from './board';
import { ControllerSession } from './session';

function xor(): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps: 100 }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

/** A session and a way to talk to it: each command numbered, its answers decoded. */
function controller(options: ConstructorParameters<typeof ControllerSession>[1] = {}) {
  const board = new EmulatedBoard(xor());
  const session = new ControllerSession(board, options);
  let seq = 0;
  const decode = (frames: Uint8Array[]): Reply[] => frames.map((f) => decodeMessage(f).message as Reply);
  return {
    board,
    session,
    send: (c: Command, now_ms = 0): Reply[] => decode(session.receive(encodeMessage(c, seq++), now_ms)),
    tick: (now_ms: number): Reply[] => decode(session.tick(now_ms)),
  };
}

const DATAPOINTS = [
  [0, 0],
  [0, 255],
  [255, 0],
  [255, 255],
];
const ORDER = [3, 0, 2, 1, 1, 3, 0, 2, 2, 0];

describe('emulated controller session', () => {
  it('runs a downloaded schedule as the same steps sent one by one, reporting every 4 steps, busy meanwhile', () => {
    const auto = controller();
    const byHand = controller();
    const label = (d: number): number => (d === 1 || d === 2 ? 64 : 128);
    DATAPOINTS.forEach(([a, b], d) =>
      expect(
        auto.send({
          kind: 'scheduleWriteSet',
          index: d,
          writes: [
            { channel: 0, code: a },
            { channel: 1, code: b },
            { channel: 4, code: label(d) },
          ],
        }),
      ).toEqual([{ kind: 'ack', command: 0x20 }]),
    );
    expect(auto.send({ kind: 'scheduleSteps', firstStep: 0, pulse_us: 100, writeSets: ORDER.slice(0, 6) })).toEqual([{ kind: 'ack', command: 0x21 }]);
    expect(auto.send({ kind: 'scheduleSteps', firstStep: 3, pulse_us: 100, writeSets: [0] })).toMatchObject([{ kind: 'error', code: 'schedule-gap' }]);
    expect(auto.send({ kind: 'scheduleSteps', firstStep: 6, pulse_us: 100, writeSets: ORDER.slice(6) })).toEqual([{ kind: 'ack', command: 0x21 }]);
    expect(auto.send({ kind: 'scheduleRun', fromStep: 0, count: 10, reportEvery: 4 })).toEqual([{ kind: 'ack', command: 0x22 }]);
    expect(auto.send({ kind: 'dacWrite', writes: [{ channel: 0, code: 1 }] })).toMatchObject([{ kind: 'error', command: 0x10, code: 'busy' }]);
    expect(auto.tick(1)).toEqual([
      { kind: 'stepsDone', firstStep: 0, count: 4 },
      { kind: 'stepsDone', firstStep: 4, count: 4 },
      { kind: 'stepsDone', firstStep: 8, count: 2 },
      { kind: 'scheduleDone', nextStep: 10, reason: 'finished' },
    ]);
    for (const [k, d] of ORDER.entries()) {
      const [a, b] = DATAPOINTS[d];
      byHand.send({
        kind: 'dacWrite',
        writes: [
          { channel: 0, code: a },
          { channel: 1, code: b },
          { channel: 4, code: label(d) },
        ],
      });
      expect(byHand.send({ kind: 'learnPulse', duration_us: 100, run: 1, index: k })).toEqual([{ kind: 'pulseDone', duration_us: 100, applied: true }]);
    }
    expect(auto.board.twin.gates_V).toEqual(byHand.board.twin.gates_V);
  });

  it('the fail-safe stops a running schedule when the host falls silent, and says so in its heartbeat until the next command', () => {
    const c = controller({ failSafe_ms: 500 });
    c.send({ kind: 'scheduleWriteSet', index: 0, writes: [{ channel: 0, code: 255 }] }, 0);
    c.send({ kind: 'scheduleSteps', firstStep: 0, pulse_us: 100, writeSets: Array(1000).fill(0) }, 0);
    c.send({ kind: 'scheduleRun', fromStep: 0, count: 1000, reportEvery: 1000 }, 0);
    expect(c.tick(100)).toEqual([]); // 64 steps a tick, none reported yet
    expect(c.tick(601)).toEqual([
      { kind: 'stepsDone', firstStep: 0, count: 64 },
      { kind: 'scheduleDone', nextStep: 64, reason: 'link-lost' },
    ]);
    expect(c.session.stats.failSafes).toBe(1);
    expect(c.send({ kind: 'heartbeat' }, 700)).toMatchObject([{ kind: 'heartbeatAck', safe: true, autonomous: false }]);
    c.send({ kind: 'potSet', position: 64 }, 710);
    expect(c.send({ kind: 'heartbeat' }, 720)).toMatchObject([{ kind: 'heartbeatAck', safe: false }]);
  });

  it('a command sent again is answered from memory, not applied again; the same seq with other bytes is a new command', () => {
    const board = new EmulatedBoard(xor());
    const session = new ControllerSession(board);
    const pulse = encodeMessage({ kind: 'learnPulse', duration_us: 100, run: 1, index: 0 }, 7);
    const first = session.receive(pulse, 0);
    const gates = Float64Array.from(board.twin.gates_V);
    expect(session.receive(pulse, 1)).toEqual(first);
    expect(board.twin.gates_V).toEqual(gates);
    expect(session.stats).toMatchObject({ applied: 1, repeated: 1 });
    // The same seq with other bytes is a new command (the host's counter wrapped).
    session.receive(encodeMessage({ kind: 'learnPulse', duration_us: 200, run: 1, index: 1 }, 7), 2);
    expect(session.stats.applied).toBe(2);
  });

  it('each host session is answered from its own memory: a restarted host (a new session) is not taken for its predecessor; the same session on a new connection is', () => {
    const board = new EmulatedBoard(xor());
    const session = new ControllerSession(board);
    const write = (code: number) => encodeMessage({ kind: 'dacWrite', writes: [{ channel: 0, code }] }, 1);
    const hello = (id: number) => encodeMessage({ kind: 'hello', protocol: 1, session: id }, 0);
    const first = { session: null };
    session.receive(hello(7), 0, first);
    session.receive(write(20), 1, first);
    const again = { session: null }; // the same host after its link was cut: a new connection, the same session
    session.receive(hello(7), 2, again);
    session.receive(write(20), 3, again); // the command in flight sent again: answered from memory
    expect(session.stats).toMatchObject({ applied: 1, repeated: 2 }); // (hello is not counted as applied)
    const restarted = { session: null }; // a new host process counts its seqs from 0 again
    session.receive(hello(8), 4, restarted);
    session.receive(write(20), 5, restarted); // its own seq 1: applied, not taken for the old host's
    expect(session.stats).toMatchObject({ applied: 2, repeated: 2 });
    session.receive(write(20), 6, first); // the first host's memory is its own still
    expect(session.stats).toMatchObject({ applied: 2, repeated: 3 });
  });

  it("a run's pulse sent again under a new seq (a host that restarted) is answered, not applied again; another run's is applied", () => {
    const board = new EmulatedBoard(xor());
    const session = new ControllerSession(board);
    const answer = (seq: number, run: number, index: number) =>
      decodeMessage(session.receive(encodeMessage({ kind: 'learnPulse', duration_us: 100, run, index }, seq), seq)[0]).message;
    for (let k = 0; k < 3; k++) expect(answer(k, 5, k)).toEqual({ kind: 'pulseDone', duration_us: 100, applied: true });
    const gates = Float64Array.from(board.twin.gates_V);
    expect(answer(10, 5, 1)).toEqual({ kind: 'pulseDone', duration_us: 100, applied: false });
    expect(answer(11, 5, 2)).toEqual({ kind: 'pulseDone', duration_us: 100, applied: false });
    expect(board.twin.gates_V).toEqual(gates);
    expect(answer(12, 6, 0)).toEqual({ kind: 'pulseDone', duration_us: 100, applied: true });
    expect(answer(13, 5, 3)).toEqual({ kind: 'pulseDone', duration_us: 100, applied: true });
    expect(session.stats).toMatchObject({ applied: 5, repeated: 2, pulses: 5 });
  });

  it('the jig stands in for a simulated clamp and a simulated network: what it drives is what the ADC reads', () => {
    const board = new EmulatedBoard(xor());
    const session = new ControllerSession(board);
    let seq = 100;
    const send = (c: Command) => decodeMessage(session.receive(encodeMessage(c, seq, 1), seq++)[0]).message;
    // ADC from the jig's probes: 0.2 V on the node probe reads code round(0.2 / 1.76 mV); 5 V on the gate probe, round(5 / 39 mV).
    expect(send({ kind: 'route', mask: ROUTE.adcFromJig, flags: ROUTE.adcFromJig })).toEqual({ kind: 'ack', command: 0x16 });
    send({
      kind: 'jigWrite',
      writes: [
        { channel: JIG.nodeProbe, code: jigCode(JIG.nodeProbe, 0.2) },
        { channel: JIG.gateProbe, code: jigCode(JIG.gateProbe, 5) },
      ],
    });
    const probe = send({ kind: 'adcScan', repeats: 2, addresses: [0, 31], writes: [] });
    const node = toCode(NODE_ADC, 0.2);
    const gate = toCode(GATE_ADC, 5);
    expect(probe).toEqual({
      kind: 'adcScanCodes',
      repeats: 2,
      sums: [
        { node: 2 * node, gate: 2 * gate },
        { node: 2 * node, gate: 2 * gate },
      ],
    });
    // The clamp fed O+ = 0.3 V (and O− = 0 V) from the jig holds the clamped outputs at its law's values, read at their demux addresses.
    const exp = xor();
    const [plus, minus] = outputNodes(exp);
    send({ kind: 'route', mask: 7, flags: ROUTE.clampInputFromJig });
    send({
      kind: 'jigWrite',
      writes: [
        { channel: JIG.clampInput, code: jigCode(JIG.clampInput, 0.3) },
        { channel: JIG.clampInput + 1, code: jigCode(JIG.clampInput + 1, 0) },
      ],
    });
    const label = patchMap(exp)[4];
    const code = dacCode(PAPER_DAC, label, 0.05);
    send({ kind: 'dacWrite', writes: [{ channel: 4, code }] });
    const expected = new Float64Array(2);
    clampCircuit(exp.clamp).clamp([0.3, 0], [dacVoltage(PAPER_DAC, label, code)], expected);
    const read = send({ kind: 'adcScan', repeats: 1, addresses: [16 + plus, 16 + minus], writes: [] });
    expect(read).toMatchObject({ kind: 'adcScanCodes', sums: [{ node: toCode(NODE_ADC, expected[0]) }, { node: toCode(NODE_ADC, expected[1]) }] });
    expect(expected[0]).not.toBeCloseTo(0.3, 3); // the clamp moved it
  });
});
