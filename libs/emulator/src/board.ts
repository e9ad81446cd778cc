/**
 * The emulated board: a twin network with its clamping circuits, DACs, potentiometer, demux
 * and ADC, as the I/O controller sees them — codes in, codes out. Its "chip" is the
 * experiment it is built from: the network, the transistor card and the imperfections
 * (per-edge VTO and k mismatch, learning-rule offsets, read-out noise) drawn from its seed,
 * which the host does not know. The patch map (which DAC channel drives which node, which
 * one the label line) is the experiment's roles, as the supervisor wires them.
 */
import { decodeDemux, type Experiment } from '@metatwin/contracts';
import { ClampingSim } from '@metatwin/clamping';
import { EdgePhysicsSim } from '@metatwin/edge-physics';
import { adcConfig, readGate, readNode, type AdcConfig } from '@metatwin/measurement';
import { NODE_DAC, Rng, fromCode, labelLineConverter, toCode, type Converter } from '@metatwin/physics';
import { DAC_CHANNELS, POT_POSITIONS, type DacPair } from '@metatwin/protocol';
import { patchMap } from '@metatwin/supervisor';

/** What the controller's firmware drives; every call is the hardware acting now. */
export interface Board {
  dacWrite(writes: ReadonlyArray<DacPair>): void;
  /** Learn-enable on for duration_us; the duration it was on (µs). */
  learnPulse(duration_us: number): number;
  potSet(position: number): void;
  demuxSelect(address: number): void;
  adcRead(repeats: number): Array<{ nodeCode: number; gateCode: number }>;
  /** Every DAC channel to code 0, learn-enable off. */
  safeState(): void;
}

/** The network failed to settle (a solver status): the board cannot answer, as broken hardware. */
export class BoardFault extends Error {
  override readonly name = 'BoardFault';
}

export class EmulatedBoard implements Board {
  readonly edge: EdgePhysicsSim;
  private readonly clamp: ClampingSim;
  private readonly codes = new Uint8Array(DAC_CHANNELS);
  /** Per DAC channel: the held node's index (inputs, then rails), −1 for the label line, −2 for nothing. */
  private readonly heldIndex: number[];
  private readonly heldCount: number;
  private readonly labelConverter: Converter;
  private readonly substeps: number;
  private readonly adc: AdcConfig;
  private readonly noise: Rng;
  /** Warm-start slot per applied input codes (the experiment's datapoints, as the DAC quantises them). */
  private readonly slotOf = new Map<string, number>();
  private readonly inputs: number;
  private address = 0;
  private learned_ns = 0;

  constructor(readonly exp: Experiment) {
    this.edge = new EdgePhysicsSim(exp);
    this.clamp = new ClampingSim(exp);
    const heldNodes = [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)];
    this.heldCount = heldNodes.length;
    this.inputs = exp.roles.inputs.length;
    const targets = patchMap(exp);
    this.heldIndex = Array.from({ length: DAC_CHANNELS }, (_, c) => {
      const t = targets[c];
      return t === undefined ? -2 : t.kind === 'label' ? -1 : heldNodes.indexOf(t.node);
    });
    this.labelConverter = 'plus' in exp.roles.output ? labelLineConverter(NODE_DAC) : NODE_DAC;
    this.substeps = exp.schedule.substeps;
    this.adc = { ...adcConfig(exp), repeats: 1 };
    this.noise = new Rng((exp.seed * 2654435761) >>> 0 || 1);
    exp.dataset.inputs.forEach((row, d) => this.slotOf.set(row.map((v) => toCode(NODE_DAC, v)).join(','), d));
  }

  dacWrite(writes: ReadonlyArray<DacPair>): void {
    for (const w of writes) this.codes[w.channel] = w.code;
  }

  learnPulse(duration_us: number): number {
    const t_ns = this.learned_ns;
    const held = this.held_V();
    this.edge.hold(t_ns, this.slot(), held);
    this.clamp.setLabel(t_ns, [this.label_V()]);
    const duration_s = duration_us * 1e-6;
    for (let s = 0; s < this.substeps; s++) {
      const free = this.edge.settleFree();
      if (!free.ok) throw new BoardFault(free.reason);
      const learned = this.edge.learn(t_ns, this.clamp.clamp(t_ns, free.outputs_V), duration_s / this.substeps);
      if (!learned.ok) throw new BoardFault(learned.reason);
    }
    this.edge.endLearning(t_ns, duration_s);
    this.learned_ns += duration_us * 1000;
    return duration_us;
  }

  potSet(position: number): void {
    const law = this.exp.clamp.kind;
    if (law === 'coupled' || law === 'differential') this.clamp.setWiper(this.learned_ns, position, POT_POSITIONS);
  }

  demuxSelect(address: number): void {
    this.address = address;
  }

  adcRead(repeats: number): Array<{ nodeCode: number; gateCode: number }> {
    const twin = this.edge.twin;
    const sel = decodeDemux(this.address, twin.network.nodeCount, twin.network.edgeCount);
    const reading = this.edge.measure(this.learned_ns, this.slot(), this.held_V());
    if (!reading.ok) throw new BoardFault(reading.reason);
    const node_V = sel.copy === 'free' ? reading.nodes_V[sel.node] : twin.clampedVoltages_V[sel.node];
    const gate_V = reading.gates_V[sel.edge];
    return Array.from({ length: repeats }, () => ({ nodeCode: readNode(this.adc, node_V, this.noise).code, gateCode: readGate(this.adc, gate_V, this.noise).code }));
  }

  safeState(): void {
    this.codes.fill(0);
    this.edge.twin.learnEnabled = false;
  }

  /** The held nodes' voltages (inputs, then rails), from the DAC codes through the ×1/11 buffers. */
  private held_V(): number[] {
    const held = new Array<number>(this.heldCount).fill(0);
    this.heldIndex.forEach((i, c) => {
      if (i >= 0) held[i] = fromCode(NODE_DAC, this.codes[c]);
    });
    return held;
  }

  private label_V(): number {
    const c = this.heldIndex.indexOf(-1);
    return c < 0 ? 0 : fromCode(this.labelConverter, this.codes[c]);
  }

  /** The Newton warm start of the datapoint the inputs are (slot 0 for inputs no datapoint has). */
  private slot(): number {
    const key = this.heldIndex.flatMap((i, c) => (i >= 0 && i < this.inputs ? [this.codes[c]] : [])).join(',');
    return this.slotOf.get(key) ?? 0;
  }
}
