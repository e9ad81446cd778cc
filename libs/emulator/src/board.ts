/**
 * The emulated board: a twin network with its clamping circuits, DACs, potentiometer, demux
 * and ADC, as the I/O controller sees them — codes in, codes out. Its "chip" is the
 * experiment it is built from: the network, the transistor card and the imperfections
 * (per-edge VTO and k mismatch, learning-rule offsets, read-out noise) drawn from its seed,
 * which the host does not know. The patch map (which DAC channel drives which node, which
 * one the label line) is the experiment's roles, as the supervisor wires them. It is built
 * from the physics library and the clamp laws, not from the services' adapters: it is the
 * hardware, not a port of it.
 */
import { decodeDemux, type Experiment } from '@metatwin/contracts';
import { clampCircuit, etaOfWiper, type ClampCircuit } from '@metatwin/clamping';
import { twinOf, type TwinNetwork } from '@metatwin/edge-physics';
import { adcConfig, readGate, readNode, type AdcConfig } from '@metatwin/measurement';
import { Rng } from '@metatwin/physics';
import { DAC_CHANNELS, JIG, JIG_CHANNELS, POT_POSITIONS, ROUTE, jigVoltage, type DacPair } from '@metatwin/protocol';
import { PAPER_DAC, dacCode, dacVoltage, patchMap, type PatchTarget } from '@metatwin/supervisor';

/** What the controller's firmware drives; every call is the hardware acting now. */
export interface Board {
  dacWrite(writes: ReadonlyArray<DacPair>): void;
  /** Learn-enable on for duration_us; the duration it was on (µs). */
  learnPulse(duration_us: number): number;
  potSet(position: number): void;
  demuxSelect(address: number): void;
  adcRead(repeats: number): Array<{ nodeCode: number; gateCode: number }>;
  /** Each address selected in turn and read `repeats` times: the sums of its node and gate codes. */
  adcScan(repeats: number, addresses: ReadonlyArray<number>): Array<{ node: number; gate: number }>;
  /** Switch the `mask` bits of the routing (ROUTE) to `flags`. */
  route(mask: number, flags: number): void;
  jigWrite(writes: ReadonlyArray<DacPair>): void;
  /** Every DAC channel (the jig's too) to code 0, learn-enable off. */
  safeState(): void;
}

/** The network failed to settle (a solver status): the board cannot answer, as broken hardware. */
export class BoardFault extends Error {
  override readonly name = 'BoardFault';
}

export class EmulatedBoard implements Board {
  /** The network on the board (a test may look at its gates; the host sees only ADC codes). */
  readonly twin: TwinNetwork;
  private clamp: ClampCircuit;
  private readonly codes = new Uint8Array(DAC_CHANNELS);
  /** What each DAC channel drives (its transfer law: the label line's is bipolar when differential). */
  private readonly targets: ReadonlyArray<PatchTarget>;
  /** Per DAC channel: the held node's index (inputs, then rails), −1 for the label line, −2 for nothing. */
  private readonly heldIndex: number[];
  private readonly heldCount: number;
  private readonly inputs: number;
  private readonly substeps: number;
  private readonly adc: AdcConfig;
  private readonly noise: Rng;
  /** Warm-start slot per applied input codes (the experiment's datapoints, as the DAC quantises them). */
  private readonly slotOf = new Map<string, number>();
  private readonly labels_V = new Float64Array(1);
  private readonly outputs_V: Float64Array;
  private readonly nodes_V: Float64Array;
  private address = 0;
  /** Which circuits the jig stands in for (ROUTE bits), and what its channels drive (V). */
  private routing = 0;
  private readonly jig_V = new Float64Array(JIG_CHANNELS.length);
  /** The clamping circuit as the clamped copy sees it: the board's own, or the jig's where routed. */
  private readonly boardClamp = {
    drives: 'voltage' as const,
    clamp: (freeOutputs_V: ArrayLike<number>, labels_V: ArrayLike<number>, out: Float64Array): void => this.clampNow(freeOutputs_V, labels_V, out),
  };
  private readonly clampIn_V: Float64Array;
  /** At the last ADC settle: what the clamp drives, and the clamped copy's nodes with it. */
  private readonly clampOut: Float64Array;
  private readonly clampedNodes_V: Float64Array;

  /**
   * @param realTime hold learn-enable for the pulse's duration of wall time, as the controller's
   *   timer does (the hardware's pace: a run cannot go faster than t_h per step); off, a pulse
   *   is computed at once.
   */
  constructor(
    readonly exp: Experiment,
    private readonly realTime = false,
  ) {
    this.twin = twinOf(exp);
    this.clamp = clampCircuit(exp.clamp);
    this.outputs_V = new Float64Array(this.twin.outputNodes.length);
    this.clampIn_V = new Float64Array(this.twin.outputNodes.length);
    this.clampOut = new Float64Array(this.twin.outputNodes.length);
    this.clampedNodes_V = new Float64Array(this.twin.network.nodeCount);
    this.nodes_V = new Float64Array(this.twin.network.nodeCount);
    const heldNodes = [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)];
    this.heldCount = heldNodes.length;
    this.inputs = exp.roles.inputs.length;
    const targets = patchMap(exp);
    this.targets = targets;
    this.heldIndex = Array.from({ length: DAC_CHANNELS }, (_, c) => {
      const t = targets[c];
      return t === undefined ? -2 : t.kind === 'label' ? -1 : heldNodes.indexOf(t.node);
    });
    this.substeps = exp.schedule.substeps;
    this.adc = { ...adcConfig(exp), quantise: true, repeats: 1 }; // a real ADC has only codes
    this.noise = new Rng((exp.seed * 2654435761) >>> 0 || 1);
    exp.dataset.inputs.forEach((row, d) => this.slotOf.set(row.map((v, i) => dacCode(PAPER_DAC, targets[i], v)).join(','), d));
  }

  dacWrite(writes: ReadonlyArray<DacPair>): void {
    for (const w of writes) this.codes[w.channel] = w.code;
  }

  learnPulse(duration_us: number): number {
    const started = process.hrtime.bigint();
    const twin = this.twin;
    twin.selectSlot(this.slot());
    this.labels_V[0] = this.label_V();
    twin.learnEnabled = true;
    // The twin integrates a pulse in substeps; a pulse shorter than t_h (a bridge pulsing per substep) takes fewer.
    const substeps = Math.max(1, Math.round((this.substeps * duration_us * 1e-6) / this.exp.schedule.t_h_s));
    const report = twin.trainStep(this.held_V(), this.labels_V, this.boardClamp, duration_us * 1e-6, substeps);
    twin.learnEnabled = false;
    if (report.failed) {
      const { copy, result } = report.failed;
      throw new BoardFault(`the ${copy} network did not settle (${result.status}, residual ${result.residual_A.toExponential(2)} A)`);
    }
    if (!this.realTime) return duration_us;
    // The controller's timer: learn-enable stays on until the pulse's time is up (a busy wait, as firmware does).
    const end = started + BigInt(duration_us) * 1000n;
    let now = process.hrtime.bigint();
    while (now < end) now = process.hrtime.bigint();
    return Math.round(Number(now - started) / 1000);
  }

  potSet(position: number): void {
    const law = this.exp.clamp;
    if (law.kind === 'coupled' || law.kind === 'differential') this.clamp = clampCircuit({ ...law, eta: etaOfWiper(position, POT_POSITIONS) });
  }

  demuxSelect(address: number): void {
    this.address = address;
  }

  adcRead(repeats: number): Array<{ nodeCode: number; gateCode: number }> {
    const [node_V, gate_V] = this.analogAt(this.address);
    return Array.from({ length: repeats }, () => ({ nodeCode: readNode(this.adc, node_V, this.noise).code, gateCode: readGate(this.adc, gate_V, this.noise).code }));
  }

  adcScan(repeats: number, addresses: ReadonlyArray<number>): Array<{ node: number; gate: number }> {
    return addresses.map((address, i) => {
      this.address = address;
      const [node_V, gate_V] = this.analogAt(address, i === 0);
      let node = 0;
      let gate = 0;
      for (let r = 0; r < repeats; r++) {
        node += readNode(this.adc, node_V, this.noise).code;
        gate += readGate(this.adc, gate_V, this.noise).code;
      }
      return { node, gate };
    });
  }

  route(mask: number, flags: number): void {
    this.routing = (this.routing & ~mask) | (flags & mask);
  }

  jigWrite(writes: ReadonlyArray<DacPair>): void {
    for (const w of writes) this.jig_V[w.channel] = jigVoltage(w.channel, w.code);
  }

  safeState(): void {
    this.codes.fill(0);
    this.jig_V.fill(0);
    this.twin.learnEnabled = false;
  }

  /**
   * What the demux presents at `address` (node V, gate V): the jig's probes when routed; a
   * clamped output node is the clamp's output now (it holds that node continuously).
   * @param settle solve the free copy at the DACs' voltages first (once per scan: learning is frozen)
   */
  private analogAt(address: number, settle = true): [number, number] {
    if (this.routing & ROUTE.adcFromJig) return [this.jig_V[JIG.nodeProbe], this.jig_V[JIG.gateProbe]];
    const twin = this.twin;
    if (settle) {
      twin.selectSlot(this.slot());
      const held = this.held_V();
      const r = twin.measure(held, this.outputs_V, this.nodes_V);
      if (r.status !== 'converged') throw new BoardFault(`the free network did not settle for the ADC (${r.status})`);
      // The clamp holds the clamped copy's outputs continuously: that copy settles with them.
      this.labels_V[0] = this.label_V();
      this.clampNow(this.outputs_V, this.labels_V, this.clampOut);
      const c = twin.measureClamped(held, this.clampOut, this.clampedNodes_V);
      if (c.status !== 'converged') throw new BoardFault(`the clamped network did not settle for the ADC (${c.status})`);
    }
    const sel = decodeDemux(address, twin.network.nodeCount, twin.network.edgeCount);
    const gate_V = twin.gates_V[sel.edge];
    return [sel.copy === 'free' ? this.nodes_V[sel.node] : this.clampedNodes_V[sel.node], gate_V];
  }

  /** The clamped outputs: from the jig, or the clamp circuit fed the free outputs (or the jig's stand-ins for them). */
  private clampNow(freeOutputs_V: ArrayLike<number>, labels_V: ArrayLike<number>, out: Float64Array): void {
    if (this.routing & ROUTE.clampedOutputsFromJig) {
      for (let k = 0; k < out.length; k++) out[k] = this.jig_V[JIG.clampedOutput + k];
      return;
    }
    let input = freeOutputs_V;
    if (this.routing & ROUTE.clampInputFromJig) {
      for (let k = 0; k < this.clampIn_V.length; k++) this.clampIn_V[k] = this.jig_V[JIG.clampInput + k];
      input = this.clampIn_V;
    }
    this.clamp.clamp(input, labels_V, out);
  }

  /** The held nodes' voltages (inputs, then rails), from the DAC codes through the ×1/11 buffers. */
  private held_V(): number[] {
    const held = new Array<number>(this.heldCount).fill(0);
    this.heldIndex.forEach((i, c) => {
      if (i >= 0) held[i] = dacVoltage(PAPER_DAC, this.targets[c], this.codes[c]);
    });
    return held;
  }

  private label_V(): number {
    const c = this.heldIndex.indexOf(-1);
    return c < 0 ? 0 : dacVoltage(PAPER_DAC, this.targets[c], this.codes[c]);
  }

  /** The Newton warm start of the datapoint the inputs are (slot 0 for inputs no datapoint has). */
  private slot(): number {
    const key = this.heldIndex.flatMap((i, c) => (i >= 0 && i < this.inputs ? [this.codes[c]] : [])).join(',');
    return this.slotOf.get(key) ?? 0;
  }
}
