/**
 * The twin network: a free and a clamped copy of one transistor network whose commensurate
 * edges share one gate capacitor (paper Fig. 1B). Inputs and rails are held in both copies;
 * the clamping circuit drives the clamped copy's outputs; while learn-enable is on, every
 * gate integrates its learning circuit's current (Eq. 4) above the diode floor.
 *
 * A training step of length t_h is split into `substeps`: in each, both copies are solved
 * at the present gates, the clamp re-reads the free outputs (the analog feedback is
 * continuous), and the gates take an explicit Euler step of t_h/substeps. One substep is
 * the usual quasi-static model; more substeps converge on the continuous dynamics.
 *
 * Warm start: Newton starts from the last solution of the same "slot". Giving each
 * datapoint its own slot means every solve starts from the state that datapoint left,
 * a tiny gate change ago, which is what makes long training runs fast.
 *
 * On the multigrid path (large networks) a training step starts further: from the slot's
 * last solution extrapolated over its last steps (SlotPredictor). The gates drift smoothly,
 * so this guess is orders of magnitude closer than the last solution, and a warm solve is one
 * Newton step with a few Krylov iterations. The direct path (small networks) keeps the plain
 * warm start: its Newton steps are cheap and its results stay bit for bit as they were.
 */
import { DcSolver, edgeCurrents, edgePowers, type Network, type SolveResult, type SolverOptions, type TransistorSet } from '@metatwin/physics';
import { applyDamage, enableFactor, validateDamage, type DamageEvent } from './imperfections';
import { PAPER_LEARNING_CIRCUIT, gateRates, learningTimeScale_Vs, stepAboveDiode, validateLearningCircuit, type EdgeStages, type LearningCircuit } from './learning-rule';

/** What the twin needs from the clamping subsystem. */
export interface ClampPort {
  readonly drives: 'voltage' | 'current';
  clamp(freeOutputs_V: ArrayLike<number>, labels_V: ArrayLike<number>, out: Float64Array): void;
}

export interface TwinConfig {
  readonly network: Network;
  readonly freeTransistors: TransistorSet;
  readonly clampedTransistors: TransistorSet;
  /** Inputs and constant rails, held by sources in both copies. */
  readonly heldNodes: ReadonlyArray<number>;
  /** Outputs: read from the free copy, driven in the clamped copy. */
  readonly outputNodes: ReadonlyArray<number>;
  /** Whether the clamp holds output voltages (Coupled Learning) or injects currents (EP). */
  readonly clampDrives: 'voltage' | 'current';
  readonly learning?: LearningCircuit;
  readonly learningOffset_V2?: Float64Array | null;
  /** Each edge's own learning circuit (learning.stages drawn), or null: the amalgamated V0. */
  readonly learningStages?: EdgeStages | null;
  /** The seed of each edge's learn-enable jitter draws (learning.enableJitterRel). Default 0. */
  readonly enableJitterSeed?: number;
  readonly damage?: ReadonlyArray<DamageEvent>;
  readonly solver?: SolverOptions;
  /** Warm-start slots (e.g. one per datapoint). Default 1. */
  readonly warmStartSlots?: number;
}

export interface StepReport {
  /** False when a solve did not converge; the gates were then left as they were. */
  readonly ok: boolean;
  readonly failed?: { readonly copy: 'free' | 'clamped'; readonly result: SolveResult };
  readonly newtonIterations: number;
  /** BiCGSTAB iterations over those Newton steps (0 on the direct path). */
  readonly linearIterations: number;
}

export class TwinError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'TwinError';
  }
}

export class TwinNetwork {
  readonly network: Network;
  readonly gates_V: Float64Array;
  readonly learning: LearningCircuit;
  readonly heldNodes: Int32Array;
  readonly outputNodes: Int32Array;
  readonly clampDrives: 'voltage' | 'current';
  readonly freeTransistors: TransistorSet;
  readonly clampedTransistors: TransistorSet;
  /**
   * Learning time so far: the time spent with learn-enable on (s). Counted in whole
   * nanoseconds, as the signals count it: a float sum drifts (5,000 steps of 1e-4 s make
   * 0.49999999999996 s), and a damage due at 0.5 s would then come a step late.
   */
  get time_s(): number {
    return this.learned_ns / 1e9;
  }

  set time_s(t_s: number) {
    this.learned_ns = Math.round(t_s * 1e9);
  }

  private learned_ns = 0;
  /** The global learn-enable switch (MAX322): off shunts every charging current to ground. */
  learnEnabled = false;
  /** Charging energy dissipated in every learning circuit's R0 so far (J), Eq. D1 integrated over the learning time. */
  learningEnergy_J = 0;

  private readonly freeSolver: DcSolver;
  private readonly clampedSolver: DcSolver;
  private readonly freeSlots: Float64Array[];
  private readonly clampedSlots: Float64Array[];
  private slot = 0;
  private readonly injected_A: Float64Array | null;
  private readonly offset_V2: Float64Array | null;
  /** Per-edge learning-rule offsets (V²), null when none. */
  get learningOffsets_V2(): Float64Array | null {
    return this.offset_V2;
  }
  private readonly stages: EdgeStages | null;
  private readonly enableJitterSeed: number;
  private readonly rates_Vps: Float64Array;
  private readonly freeOut: Float64Array;
  /** Scratch for measure(): the slot's warm start, put back after the measurement. */
  private readonly savedFree: Float64Array;
  private readonly savedClamped: Float64Array;
  private readonly clampOut: Float64Array;
  private readonly pendingDamage: DamageEvent[];
  /** Multigrid path only: per copy, each slot's last step change and how much history it has. */
  private readonly predictors: ReadonlyArray<SlotPredictor> | null;
  /** Multigrid path only: per slot, 1 until its first clamped solve, which starts from the free copy's solution. */
  private readonly clampedFromFree: Uint8Array;

  constructor(config: TwinConfig, initialGates_V: ArrayLike<number>) {
    const { network } = config;
    this.network = network;
    const m = network.edgeCount;
    this.learning = config.learning ?? PAPER_LEARNING_CIRCUIT;
    validateLearningCircuit(this.learning);
    if (initialGates_V.length !== m) throw new TwinError(`initial gates: expected ${m} values (one per edge), got ${initialGates_V.length}`);
    this.gates_V = Float64Array.from(initialGates_V);
    this.gates_V.forEach((g, e) => {
      if (!Number.isFinite(g)) throw new TwinError(`initial gates[${e}] must be a finite voltage, got ${g}`);
    });
    const checkNodes = (name: string, nodes: ReadonlyArray<number>): Int32Array => {
      nodes.forEach((n, i) => {
        if (!Number.isInteger(n) || n < 0 || n >= network.nodeCount) throw new TwinError(`${name}[${i}] must be a node in 0..${network.nodeCount - 1}, got ${n}`);
      });
      return Int32Array.from(nodes);
    };
    this.heldNodes = checkNodes('heldNodes', config.heldNodes);
    this.outputNodes = checkNodes('outputNodes', config.outputNodes);
    const roles = new Set<number>();
    for (const n of [...this.heldNodes, ...this.outputNodes]) {
      if (roles.has(n)) throw new TwinError(`node ${n} is given two roles (held and output nodes must be distinct)`);
      roles.add(n);
    }
    if (this.heldNodes.length === 0) throw new TwinError('at least one held node (input or rail) is needed');
    for (const [name, t] of [
      ['freeTransistors', config.freeTransistors],
      ['clampedTransistors', config.clampedTransistors],
    ] as const) {
      if (t.vto_V.length !== m || t.beta_AperV2.length !== m || t.edgeState.length !== m) throw new TwinError(`${name} must hold ${m} edges`);
    }
    this.freeTransistors = config.freeTransistors;
    this.clampedTransistors = config.clampedTransistors;
    this.clampDrives = config.clampDrives;
    this.offset_V2 = config.learningOffset_V2 ?? null;
    if (this.offset_V2 !== null && this.offset_V2.length !== m) throw new TwinError(`learningOffset_V2 must hold ${m} values`);
    this.stages = config.learningStages ?? null;
    if (this.stages !== null && Object.values(this.stages).some((a: Float64Array) => a.length !== m)) throw new TwinError(`learningStages must hold ${m} values per stage`);
    this.enableJitterSeed = config.enableJitterSeed ?? 0;
    const damage = [...(config.damage ?? [])];
    validateDamage(damage, m);
    this.pendingDamage = damage.sort((x, y) => x.at_s - y.at_s);

    const freeMask = new Uint8Array(network.nodeCount);
    for (const n of this.heldNodes) freeMask[n] = 1;
    const clampedMask = Uint8Array.from(freeMask);
    if (this.clampDrives === 'voltage') for (const n of this.outputNodes) clampedMask[n] = 1;
    this.freeSolver = new DcSolver(network, freeMask, config.solver);
    this.clampedSolver = new DcSolver(network, clampedMask, config.solver, this.freeSolver);
    this.injected_A = this.clampDrives === 'current' ? new Float64Array(network.nodeCount) : null;

    const slots = config.warmStartSlots ?? 1;
    if (!Number.isInteger(slots) || slots < 1) throw new TwinError(`warmStartSlots must be an integer ≥ 1, got ${slots}`);
    this.freeSlots = Array.from({ length: slots }, () => new Float64Array(network.nodeCount).fill(NaN));
    this.clampedSlots = Array.from({ length: slots }, () => new Float64Array(network.nodeCount).fill(NaN));
    this.rates_Vps = new Float64Array(m);
    this.freeOut = new Float64Array(this.outputNodes.length);
    this.savedFree = new Float64Array(network.nodeCount);
    this.savedClamped = new Float64Array(network.nodeCount);
    this.clampOut = new Float64Array(this.outputNodes.length);
    this.predictors =
      this.freeSolver.linearPath === 'multigrid'
        ? [new SlotPredictor(this.freeSolver.freeNodes, this.freeSlots), new SlotPredictor(this.clampedSolver.freeNodes, this.clampedSlots)]
        : null;
    this.clampedFromFree = new Uint8Array(slots);
    this.applyDamageDue();
  }

  /** Node voltages of the free copy at the last solve of the current slot. */
  get freeVoltages_V(): Float64Array {
    return this.freeSlots[this.slot];
  }

  /** Node voltages of the clamped copy at the last solve of the current slot. */
  get clampedVoltages_V(): Float64Array {
    return this.clampedSlots[this.slot];
  }

  /** The linear path the solvers took by the network's size (see SolverOptions.linear). */
  get linearPath(): 'direct' | 'multigrid' {
    return this.freeSolver.linearPath;
  }

  /** The warm-start slot in use. */
  get slotIndex(): number {
    return this.slot;
  }

  /** Choose the warm-start slot (for instance the datapoint index). */
  selectSlot(slot: number): void {
    if (!(slot >= 0 && slot < this.freeSlots.length) || !Number.isInteger(slot)) {
      throw new TwinError(`slot must be an integer in 0..${this.freeSlots.length - 1}, got ${slot}`);
    }
    this.slot = slot;
  }

  /**
   * Every warm-start slot's free then clamped node voltages, in one array (what a snapshot
   * keeps). Taking it also starts the large-network path's history afresh — the predictor's
   * step changes and the reused preconditioners — so what follows a snapshot depends on the
   * snapshot alone, and a run resumed from it gives the same bits as the run that took it.
   */
  warmStarts(): Float64Array {
    this.forgetHistory();
    const n = this.network.nodeCount;
    const out = new Float64Array(2 * this.freeSlots.length * n);
    this.freeSlots.forEach((v, i) => out.set(v, i * n));
    this.clampedSlots.forEach((v, i) => out.set(v, (this.freeSlots.length + i) * n));
    return out;
  }

  /**
   * Put a saved state back: the gates, every warm start (as warmStarts() gave them) and the
   * learning time, with the damage due by then applied — all a later step depends on.
   */
  restoreState(gates_V: Float64Array, warm: Float64Array, learned_ns: number, learningEnergy_J = 0): void {
    const n = this.network.nodeCount;
    const slots = this.freeSlots.length;
    if (gates_V.length !== this.gates_V.length) throw new TwinError(`snapshot: expected ${this.gates_V.length} gates, got ${gates_V.length}`);
    if (warm.length !== 2 * slots * n) throw new TwinError(`snapshot: expected ${2 * slots * n} warm-start voltages (${slots} slots × ${n} nodes × 2 copies), got ${warm.length}`);
    if (!(learned_ns >= this.learned_ns) || !Number.isInteger(learned_ns))
      throw new TwinError(`snapshot: learning time ${learned_ns} ns is before the twin's ${this.learned_ns} ns`);
    this.gates_V.set(gates_V);
    for (let i = 0; i < slots; i++) {
      this.freeSlots[i].set(warm.subarray(i * n, (i + 1) * n));
      this.clampedSlots[i].set(warm.subarray((slots + i) * n, (slots + i + 1) * n));
    }
    this.learned_ns = learned_ns;
    this.learningEnergy_J = learningEnergy_J;
    this.forgetHistory();
    this.applyDamageDue();
  }

  /** Forget every slot's last solution: the next solves start cold, independent of history. */
  resetWarmStart(): void {
    for (const v of this.freeSlots) v.fill(NaN);
    for (const v of this.clampedSlots) v.fill(NaN);
    this.forgetHistory();
  }

  /** Drop what only the large-network path remembers between solves (see warmStarts). */
  private forgetHistory(): void {
    this.freeSolver.resetPreconditioner();
    this.clampedSolver.resetPreconditioner();
    this.clampedFromFree.fill(0);
    for (const p of this.predictors ?? []) p.forget();
  }

  /** Hold the input and rail nodes (volts, in heldNodes order) in both copies. */
  applyHeld(values_V: ArrayLike<number>): void {
    const held = this.heldNodes;
    if (values_V.length !== held.length) throw new TwinError(`expected ${held.length} held voltages, got ${values_V.length}`);
    const free = this.freeSlots[this.slot];
    const clamped = this.clampedSlots[this.slot];
    let mean = 0;
    for (let i = 0; i < held.length; i++) {
      const v = values_V[i];
      if (!Number.isFinite(v)) throw new TwinError(`held voltage for node ${held[i]} must be finite, got ${v}`);
      free[held[i]] = v;
      clamped[held[i]] = v;
      mean += v;
    }
    if (Number.isNaN(free[this.freeSolver.freeNodes[0] ?? held[0]])) {
      // First use of this slot. On the multigrid path, start the free copy from another
      // datapoint's solution (the lowest slot that has one: a choice the state alone fixes, so
      // resume is exact), and the clamped copy from this step's free solution, which differs
      // from it only around the outputs — a cold Newton solve of a million nodes costs as much
      // as a hundred warm ones.
      if (this.predictors !== null) this.clampedFromFree[this.slot] = 1;
      const solved = this.predictors === null ? -1 : this.freeSlots.findIndex((v) => !Number.isNaN(v[this.freeSolver.freeNodes[0]]));
      if (solved >= 0) {
        for (const [mine, theirs] of [
          [free, this.freeSlots[solved]],
          [clamped, this.clampedSlots[solved]],
        ]) {
          for (let n = 0; n < mine.length; n++) if (Number.isNaN(mine[n])) mine[n] = theirs[n];
        }
        return;
      }
      // Otherwise (and always on the direct path) from the mean held voltage.
      mean /= held.length;
      for (let n = 0; n < free.length; n++) {
        if (Number.isNaN(free[n])) free[n] = mean;
        if (Number.isNaN(clamped[n])) clamped[n] = mean;
      }
    }
  }

  /**
   * A training step begins in the current slot, its held voltages applied: on the
   * large-network path, start from the extrapolated guess (see the class comment).
   */
  beginTrainingStep(): void {
    for (const p of this.predictors ?? []) p.predict(this.slot);
  }

  /** The training step's solves all settled: its change is the next step's extrapolation. */
  endTrainingStep(): void {
    for (const p of this.predictors ?? []) p.settled(this.slot);
  }

  solveFree(): SolveResult {
    return this.settled(this.freeSolver.solve(this.gates_V, this.freeTransistors, this.freeSlots[this.slot]));
  }

  /** A solve that did not converge leaves no trend to extrapolate in its slot. */
  private settled(r: SolveResult): SolveResult {
    if (r.status !== 'converged') for (const p of this.predictors ?? []) p.failed(this.slot);
    return r;
  }

  /** Free-copy voltages of the output nodes (outputNodes order), after solveFree. */
  freeOutputs(out: Float64Array = this.freeOut): Float64Array {
    const free = this.freeSlots[this.slot];
    for (let i = 0; i < this.outputNodes.length; i++) out[i] = free[this.outputNodes[i]];
    return out;
  }

  /** Drive the clamped copy's outputs: voltages (V) or injected currents (A), per output node. */
  applyClamp(values: ArrayLike<number>): void {
    const outs = this.outputNodes;
    if (values.length !== outs.length) throw new TwinError(`expected ${outs.length} clamp values, got ${values.length}`);
    if (this.injected_A !== null) {
      for (let i = 0; i < outs.length; i++) this.injected_A[outs[i]] = values[i];
    } else {
      const clamped = this.clampedSlots[this.slot];
      for (let i = 0; i < outs.length; i++) clamped[outs[i]] = values[i];
    }
  }

  solveClamped(): SolveResult {
    if (this.clampedFromFree[this.slot] === 1) {
      this.clampedFromFree[this.slot] = 0;
      const [free, clamped] = [this.freeSlots[this.slot], this.clampedSlots[this.slot]];
      for (const n of this.clampedSolver.freeNodes) clamped[n] = free[n];
    }
    return this.settled(this.clampedSolver.solve(this.gates_V, this.clampedTransistors, this.clampedSlots[this.slot], this.injected_A));
  }

  /**
   * Explicit Euler step of every gate over dt (s) from the current slot's free and clamped
   * voltages, if learn-enable is on; the floor (a clip, or the diode) and the rail bound the result.
   */
  integrateGates(dt_s: number): void {
    if (!this.learnEnabled) return;
    gateRates(this.network, this.freeSlots[this.slot], this.clampedSlots[this.slot], this.offset_V2, this.learning, this.rates_Vps, this.stages);
    const { gates_V, rates_Vps } = this;
    const lo = this.learning.gMin_V;
    const hi = this.learning.gMax_V;
    const diode = this.learning.floor === 'diode';
    const jitter = this.learning.enableJitterRel ?? 0;
    let sumSquares = 0;
    for (let e = 0; e < gates_V.length; e++) {
      // With jitter each switch is on for its own share of the step (the step's start keys the draw).
      const share = jitter > 0 ? enableFactor(this.enableJitterSeed, jitter, this.learned_ns, e, gates_V.length) : 1;
      const dt = dt_s * share;
      const rate = rates_Vps[e];
      sumSquares += rate * rate * share;
      if (diode) {
        const g = stepAboveDiode(gates_V[e], rate, dt, this.learning);
        gates_V[e] = g > hi ? hi : g;
      } else {
        const g = gates_V[e] + rate * dt;
        gates_V[e] = g < lo ? lo : g > hi ? hi : g;
      }
    }
    // Eq. D1: each circuit drives I = C0·dG/dt through R0 (into the diode when the gate sits
    // at the floor), dissipating I²·R0 = (V_F² − V_C²)²/(V0²·R0).
    const { r0_Ohm, c0_F } = this.learning;
    this.learningEnergy_J += sumSquares * r0_Ohm * c0_F * c0_F * dt_s;
  }

  /**
   * Learn-enable off for the rest of the step (learning.offPerStep_s): the switch shunts the
   * learning current away, but the floor diode still feeds the gates (forward below G_min, its
   * reverse current IS above). Nothing happens with the clipped floor. Learning time does not
   * advance.
   */
  offTime(): void {
    const off_s = this.learning.offPerStep_s ?? 0;
    if (this.learning.floor !== 'diode' || off_s <= 0) return;
    const { gates_V } = this;
    for (let e = 0; e < gates_V.length; e++) gates_V[e] = stepAboveDiode(gates_V[e], 0, off_s, this.learning);
  }

  /**
   * One training step: hold `held_V`, clamp toward `labels_V` through `clamp`, and, with
   * learn-enable on, integrate the gates over duration_s in `substeps` Euler steps.
   * The learning time advances only while learn-enable is on.
   */
  trainStep(held_V: ArrayLike<number>, labels_V: ArrayLike<number>, clamp: ClampPort, duration_s: number, substeps = 1): StepReport {
    if (clamp.drives !== this.clampDrives) throw new TwinError(`clamp drives ${clamp.drives} but the twin was built for ${this.clampDrives}`);
    this.applyDamageDue();
    this.applyHeld(held_V);
    const dt = duration_s / substeps;
    let iterations = 0;
    let linear = 0;
    this.beginTrainingStep();
    const fail = (copy: 'free' | 'clamped', result: SolveResult): StepReport => ({ ok: false, failed: { copy, result }, newtonIterations: iterations, linearIterations: linear });
    for (let s = 0; s < substeps; s++) {
      const free = this.solveFree();
      iterations += free.iterations;
      linear += free.linearIterations;
      if (free.status !== 'converged') return fail('free', free);
      clamp.clamp(this.freeOutputs(), labels_V, this.clampOut);
      this.applyClamp(this.clampOut);
      const clamped = this.solveClamped();
      iterations += clamped.iterations;
      linear += clamped.linearIterations;
      if (clamped.status !== 'converged') return fail('clamped', clamped);
      this.integrateGates(dt);
    }
    this.endTrainingStep();
    if (this.learnEnabled) {
      this.advanceLearningTime(duration_s);
      this.offTime();
    }
    return { ok: true, newtonIterations: iterations, linearIterations: linear };
  }

  /** Free-network output for given held voltages, learning untouched (inference). */
  infer(held_V: ArrayLike<number>, out: Float64Array = new Float64Array(this.outputNodes.length)): SolveResult {
    this.applyHeld(held_V);
    const r = this.solveFree();
    this.freeOutputs(out);
    return r;
  }

  /**
   * A test-step measurement: the free network's outputs (and, into `nodes_V`, every node's
   * voltage) for the given held voltages, with learning untouched and the slot's Newton warm
   * start put back as it was. Measuring twice, or not at all, therefore never changes what
   * the next training step solves from — so a test a restarted supervisor sends again leaves
   * the run bit for bit where an uninterrupted one would be.
   */
  measure(held_V: ArrayLike<number>, out: Float64Array = new Float64Array(this.outputNodes.length), nodes_V?: Float64Array): SolveResult {
    const free = this.freeSlots[this.slot];
    const clamped = this.clampedSlots[this.slot];
    this.savedFree.set(free);
    this.savedClamped.set(clamped);
    const r = this.infer(held_V, out);
    nodes_V?.set(free);
    free.set(this.savedFree);
    clamped.set(this.savedClamped);
    return r;
  }

  /**
   * The clamped copy's node voltages (into `nodes_V`) with the held voltages applied and its
   * outputs driven by `clamp` (volts or amperes, as the clamp drives), learning untouched and
   * the slot's warm starts put back, as `measure` does for the free copy.
   */
  measureClamped(held_V: ArrayLike<number>, clamp: ArrayLike<number>, nodes_V: Float64Array): SolveResult {
    const free = this.freeSlots[this.slot];
    const clamped = this.clampedSlots[this.slot];
    this.savedFree.set(free);
    this.savedClamped.set(clamped);
    this.applyHeld(held_V);
    this.applyClamp(clamp);
    const r = this.solveClamped();
    nodes_V.set(clamped);
    free.set(this.savedFree);
    clamped.set(this.savedClamped);
    return r;
  }

  /** Channel current of each edge in a copy at its current slot voltages (A, a → b). */
  currents(copy: 'free' | 'clamped', out: Float64Array = new Float64Array(this.network.edgeCount)): Float64Array {
    const [t, v] = copy === 'free' ? [this.freeTransistors, this.freeSlots[this.slot]] : [this.clampedTransistors, this.clampedSlots[this.slot]];
    edgeCurrents(this.network, this.gates_V, t, v, out);
    return out;
  }

  /** Dissipated power per edge of the free copy (W) into `out`; returns the total. */
  freePower(out: Float64Array = new Float64Array(this.network.edgeCount)): number {
    return edgePowers(this.network, this.freeSlots[this.slot], this.currents('free'), out);
  }

  /** Gate rates (V/s) at the current slot, whether or not learning is enabled. */
  gateRates(out: Float64Array = new Float64Array(this.network.edgeCount)): Float64Array {
    gateRates(this.network, this.freeSlots[this.slot], this.clampedSlots[this.slot], this.offset_V2, this.learning, out, this.stages);
    return out;
  }

  /** The learning constant V0·R0·C0 (V·s). */
  get learningScale_Vs(): number {
    return learningTimeScale_Vs(this.learning);
  }

  /** Learn-enable was on for `duration_s` more. */
  advanceLearningTime(duration_s: number): void {
    this.learned_ns += Math.round(duration_s * 1e9);
  }

  /** Apply any damage whose time has come (called at the start of each training step). */
  applyDamageDue(): void {
    while (this.pendingDamage.length > 0 && this.pendingDamage[0].at_s <= this.time_s) {
      const event = this.pendingDamage.shift() as DamageEvent;
      applyDamage(this.freeTransistors, event);
      applyDamage(this.clampedTransistors, event);
    }
  }
}

/**
 * The large-network path's starting guess for one copy: each slot's last solution plus the
 * change its last training step made plus how much that change changed (quadratic
 * extrapolation over the slot's last three steps), at the solver's unknowns only — held and
 * clamped nodes are set by their sources. A cold start's jump is not a trend: a slot
 * extrapolates linearly only after two steps in a row settled from warm starts, and
 * quadratically after three. On a 100×100 lattice the quadratic guess halves the time of a
 * warm step against the linear one (13.8 → 7.2 ms): a warm solve needs about two BiCGSTAB
 * iterations instead of four. Both differences are kept in single precision (a guess need not
 * be exact), 8 bytes per node and slot.
 */
class SlotPredictor {
  private readonly change_V: Float32Array[];
  private readonly curve_V: Float32Array[];
  /** Per slot: 0 no history, 1 one settled step (its start was cold), 2 change known, 3 change of change known. */
  private readonly history: Uint8Array;
  private readonly before_V: Float64Array;
  /** The slot whose step is under way (predict called, neither settled nor failed since), or −1. */
  private started = -1;

  constructor(
    private readonly unknowns: Int32Array,
    private readonly slots: ReadonlyArray<Float64Array>,
  ) {
    this.change_V = slots.map(() => new Float32Array(unknowns.length));
    this.curve_V = slots.map(() => new Float32Array(unknowns.length));
    this.history = new Uint8Array(slots.length);
    this.before_V = new Float64Array(unknowns.length);
  }

  /** Remember the slot's last solution and start from it plus its last change. */
  predict(slot: number): void {
    const v = this.slots[slot];
    const { unknowns, before_V } = this;
    for (let k = 0; k < unknowns.length; k++) before_V[k] = v[unknowns[k]];
    this.started = slot;
    if (this.history[slot] < 2) return;
    const change = this.change_V[slot];
    if (this.history[slot] === 3) {
      const curve = this.curve_V[slot];
      for (let k = 0; k < unknowns.length; k++) v[unknowns[k]] += change[k] + curve[k];
    } else for (let k = 0; k < unknowns.length; k++) v[unknowns[k]] += change[k];
  }

  /** The step settled: its change is the next step's extrapolation. */
  settled(slot: number): void {
    if (this.started !== slot) return;
    this.started = -1;
    const was = this.history[slot];
    const v = this.slots[slot];
    if (was >= 1) {
      const change = this.change_V[slot];
      const { unknowns, before_V } = this;
      const curve = this.curve_V[slot];
      for (let k = 0; k < unknowns.length; k++) {
        const next = v[unknowns[k]] - before_V[k];
        curve[k] = next - change[k];
        change[k] = next;
      }
      this.history[slot] = was >= 2 ? 3 : 2;
    } else this.history[slot] = 1;
  }

  failed(slot: number): void {
    this.history[slot] = 0;
    if (this.started === slot) this.started = -1;
  }

  forget(): void {
    this.history.fill(0);
    this.started = -1;
  }
}
