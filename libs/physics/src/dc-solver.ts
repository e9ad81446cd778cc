/**
 * DC operating point of one transistor network by damped Newton's method.
 *
 * Unknowns are the free node voltages; fixed nodes are ideal voltage sources. Besides the
 * channel currents, every transistor terminal leaks to the grounded bulk through SPICE's
 * source/drain junction (saturation current IS) in parallel with GMIN, exactly as ngspice's
 * Level-1 model does. That convention is what makes a node reachable only through cut-off
 * channels well defined (and agree with SPICE): the leak pulls it toward ground until a
 * channel just turns on (or to 0 V when none can), instead of leaving it floating or NaN.
 *
 * Converged means, at every free node, |KCL residual| ≤ absTol_A or ≤ relTol × (sum of
 * the magnitudes of the currents meeting there). Anything else is returned as a status
 * with the residual, never thrown and never silently accepted. The absolute floor is tiny
 * (1e-18 A) on purpose: a node held only by leakage (≈ 1e-12 S) would otherwise count as
 * solved anywhere within a volt; with it, the relative test governs and pins every node
 * to ≈ 1e-9 of its own currents.
 *
 * Every Newton iterate is kept inside the box [min, max] of the fixed voltages and the bulk's
 * 0 V. The network is passive — each channel's current flows from its higher terminal to its
 * lower one, each junction toward the bulk — so the solution lies in that box (the maximum
 * principle), and an iterate outside it is never closer. Without the box, a node whose
 * channels are all cut off (its Jacobian row held only by leakage) can be thrown tens of
 * volts out, where it stays cut off and Newton crawls back at maxStep_V per step. With
 * injected currents (Equilibrium Propagation) the principle does not hold and there is no box.
 *
 * A free node that no edge touches has nothing at all connecting it — not even a junction to
 * the bulk — so KCL leaves its voltage undefined and its Jacobian row empty. Such nodes are
 * `unconnectedNodes`: left out of the unknowns, reported, and set to 0 V (ngspice, too,
 * reports them as unconnected and solves the rest); every other node is solved as usual.
 */
import { SmoothedAggregation } from './amg';
import { couplingPattern, type CsrMatrix } from './csr';
import { bicgstab, krylovWork, type KrylovWork } from './krylov';
import { analysePattern, entryOffset, luFactor, luSolve, type LuPattern } from './sparse-lu';
import { DRAIN_GDS, DRAIN_GM, DRAIN_GMBS, DRAIN_ID, EDGE_OPEN, EDGE_SHORT, level1Drain, newDrainResult, type TransistorSet } from './level1';
import { nodeDegrees, type Network } from './network';

export interface SolverOptions {
  /** Absolute KCL tolerance per node (A). Default 1e-18 (see the class comment). */
  readonly absTol_A?: number;
  /** Relative KCL tolerance per node. Default 1e-9. */
  readonly relTol?: number;
  /** Newton factorisations allowed per solve. Default 100. */
  readonly maxIterations?: number;
  /** Largest change of any node voltage in one Newton step (V). Default 0.5. */
  readonly maxStep_V?: number;
  /** SPICE GMIN across each junction (S). Default 1e-12, as ngspice. */
  readonly gmin_S?: number;
  /** Junction saturation current IS of each source/drain junction (A). Default 1e-14, as SPICE Level 1. */
  readonly junctionIs_A?: number;
  /** Device temperature (K) for the junction's thermal voltage. Default 300.15 (SPICE's 27 °C). */
  readonly temperature_K?: number;
  /**
   * How each Newton step's linear system is solved: 'direct' (sparse LU, minimum-degree
   * order, exact), 'multigrid' (BiCGSTAB preconditioned by a reused smoothed-aggregation
   * hierarchy), or 'auto' (the default): direct below MULTIGRID_FROM_UNKNOWNS free nodes,
   * multigrid from there up. Both stop on the same KCL test, so they agree to its tolerance.
   */
  readonly linear?: 'auto' | 'direct' | 'multigrid';
  /** BiCGSTAB iterations allowed per Newton step on the multigrid path. Default 200. */
  readonly maxLinearIterations?: number;
}

/**
 * Where 'auto' changes from the direct to the multigrid path (free nodes). Measured with
 * `npm run bench -- --only scale` (README, "Large networks"): below it the direct LU's
 * fill is small and one factorisation per Newton step is cheapest.
 */
export const MULTIGRID_FROM_UNKNOWNS = 200;

/**
 * On the multigrid path, a linear solve's tolerance is this fraction of the KCL test's: the
 * Newton step then leaves a residual the test accepts, so a warm solve is one Newton step.
 */
const LINEAR_FORCING = 0.25;

/**
 * Far from the solution (a cold start, a new datapoint) a linear solve need only cut the worst
 * node's distance from its KCL test by this factor: Newton's own error is larger than what a
 * tighter solve would remove (inexact Newton, Eisenstat & Walker 1996). Near it, the forcing
 * above governs.
 */
const NEWTON_FORCING = 1e-3;

export type SolveStatus = 'converged' | 'max-iterations' | 'singular' | 'non-finite';

export interface SolveResult {
  readonly status: SolveStatus;
  /** Newton steps taken (one linear solve each). */
  readonly iterations: number;
  /** BiCGSTAB iterations over those steps (0 on the direct path). */
  readonly linearIterations: number;
  /** Largest |KCL residual| over free nodes at the returned voltages (A). */
  readonly residual_A: number;
}

const BOLTZMANN_OVER_Q = 8.617333262e-5; // V/K
const MAX_EXP_ARG = 709;

export class DcSolver {
  readonly network: Network;
  /** Free nodes in pivot order: freeNodes[k] is the node of unknown k. */
  readonly freeNodes: Int32Array;
  /** 1 where the node is held by a source. */
  readonly fixedMask: Uint8Array;
  /** Free nodes that no edge touches: not solved for, set to 0 V. */
  readonly unconnectedNodes: Int32Array;
  /** The fixed nodes (what bounds the maximum principle's box). */
  private readonly fixedNodes: Int32Array;
  /** The Jacobian's pattern: with the LU's fill on the direct path, without on the multigrid one. */
  readonly pattern: LuPattern;
  /** The linear path this solver took (see SolverOptions.linear). */
  readonly linearPath: 'direct' | 'multigrid';

  private readonly absTol: number;
  private readonly relTol: number;
  private readonly maxIterations: number;
  private readonly maxStep: number;
  private readonly gmin: number;
  private readonly junctionIs: number;
  private readonly vt: number;

  private readonly unknownOf: Int32Array; // node → unknown or −1
  private readonly leakTerminals: Float64Array; // per unknown: transistor terminals at the node
  private readonly offAB: Int32Array;
  private readonly offBA: Int32Array;
  private readonly values: Float64Array;
  private readonly work: Float64Array;
  private readonly residual: Float64Array;
  private readonly scale: Float64Array;
  private readonly step: Float64Array;
  private readonly previous: Float64Array;
  private readonly drain = newDrainResult();
  // Multigrid path only: the Jacobian as a matrix, the reused hierarchy and the Krylov scratch.
  private readonly jacobian: CsrMatrix | null = null;
  private readonly krylov: KrylovWork | null = null;
  private readonly maxLinear: number;
  private hierarchy: SmoothedAggregation | null = null;
  /** Fewest iterations a warm solve (near the solution) took with the present hierarchy, 0 before one: the yardstick for staleness. */
  private fewestWarm = 0;
  private hierarchiesBuilt = 0;

  /**
   * @param shareScratchWith a solver that never runs at the same time as this one (a twin's
   *   other copy): the two share their scratch vectors (residual, scale, step and, on the
   *   multigrid path, the Krylov vectors), 88 MB at 10⁶ nodes
   */
  constructor(network: Network, fixed: ArrayLike<boolean | number>, options: SolverOptions = {}, shareScratchWith?: DcSolver) {
    if (fixed.length !== network.nodeCount) {
      throw new RangeError(`fixed mask has ${fixed.length} entries for ${network.nodeCount} nodes`);
    }
    this.network = network;
    this.absTol = options.absTol_A ?? 1e-18;
    this.relTol = options.relTol ?? 1e-9;
    this.maxIterations = options.maxIterations ?? 100;
    this.maxStep = options.maxStep_V ?? 0.5;
    this.gmin = options.gmin_S ?? 1e-12;
    this.junctionIs = options.junctionIs_A ?? 1e-14;
    this.vt = BOLTZMANN_OVER_Q * (options.temperature_K ?? 300.15);
    for (const [name, v] of [
      ['absTol_A', this.absTol],
      ['relTol', this.relTol],
      ['maxStep_V', this.maxStep],
      ['gmin_S', this.gmin],
      ['junctionIs_A', this.junctionIs],
    ] as const) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`solver option ${name} must be a finite number ≥ 0, got ${v}`);
    }

    const nodeCount = network.nodeCount;
    const degree = nodeDegrees(network);
    this.fixedMask = new Uint8Array(nodeCount);
    const freeList: number[] = [];
    const unconnected: number[] = [];
    for (let i = 0; i < nodeCount; i++) {
      if (fixed[i]) this.fixedMask[i] = 1;
      else if (degree[i] === 0) unconnected.push(i);
      else freeList.push(i);
    }
    this.unconnectedNodes = Int32Array.from(unconnected);
    this.fixedNodes = Int32Array.from({ length: nodeCount }, (_, i) => i).filter((i) => this.fixedMask[i] === 1);
    const n = freeList.length;
    const localOf = new Int32Array(nodeCount).fill(-1);
    freeList.forEach((node, k) => (localOf[node] = k));
    const { edgeA, edgeB, edgeCount } = network;
    const choice = options.linear ?? 'auto';
    if (choice !== 'auto' && choice !== 'direct' && choice !== 'multigrid') throw new RangeError(`solver option linear must be auto, direct or multigrid, got ${String(choice)}`);
    this.linearPath = choice === 'auto' ? (n >= MULTIGRID_FROM_UNKNOWNS ? 'multigrid' : 'direct') : choice;
    this.maxLinear = options.maxLinearIterations ?? 200;
    if (!Number.isInteger(this.maxLinear) || this.maxLinear < 1) throw new RangeError(`solver option maxLinearIterations must be an integer ≥ 1, got ${this.maxLinear}`);
    this.freeNodes = new Int32Array(n);
    this.unknownOf = new Int32Array(nodeCount).fill(-1);
    if (this.linearPath === 'direct') {
      const adjacency: number[][] = Array.from({ length: n }, () => []);
      for (let e = 0; e < edgeCount; e++) {
        const a = localOf[edgeA[e]];
        const b = localOf[edgeB[e]];
        if (a >= 0 && b >= 0) {
          adjacency[a].push(b);
          adjacency[b].push(a);
        }
      }
      const { order, pattern } = analysePattern(n, adjacency);
      this.pattern = pattern;
      for (let k = 0; k < n; k++) this.freeNodes[k] = freeList[order[k]];
    } else {
      // Node order as given: lattices and the generated topologies number nodes locally,
      // which is what Gauss–Seidel and the aggregation's natural order want.
      this.pattern = couplingPattern(n, localOf, edgeA, edgeB, edgeCount);
      for (let k = 0; k < n; k++) this.freeNodes[k] = freeList[k];
    }
    for (let k = 0; k < n; k++) this.unknownOf[this.freeNodes[k]] = k;
    const pattern = this.pattern;
    this.leakTerminals = new Float64Array(n);
    for (let k = 0; k < n; k++) this.leakTerminals[k] = degree[this.freeNodes[k]];

    this.offAB = new Int32Array(edgeCount);
    this.offBA = new Int32Array(edgeCount);
    for (let e = 0; e < edgeCount; e++) {
      const a = this.unknownOf[edgeA[e]];
      const b = this.unknownOf[edgeB[e]];
      this.offAB[e] = a >= 0 && b >= 0 ? entryOffset(pattern, a, b) : -1;
      this.offBA[e] = a >= 0 && b >= 0 ? entryOffset(pattern, b, a) : -1;
    }
    this.values = new Float64Array(pattern.colIndex.length);
    if (this.linearPath === 'multigrid') {
      this.jacobian = { rows: n, cols: n, rowStart: pattern.rowStart, colIndex: pattern.colIndex, values: this.values };
      this.krylov = krylovWork(n, shareScratchWith?.krylov ?? undefined);
    }
    this.work = new Float64Array(this.linearPath === 'direct' ? n : 0); // the LU's accumulator
    // Every solve writes these before it reads them, so two solvers that never run at once share them.
    const shared = (other: Float64Array | undefined): Float64Array => (other !== undefined && other.length >= n ? other.subarray(0, n) : new Float64Array(n));
    this.residual = shared(shareScratchWith?.residual);
    this.scale = shared(shareScratchWith?.scale);
    this.step = shared(shareScratchWith?.step);
    this.previous = shared(shareScratchWith?.previous);
  }

  /** Number of unknowns (free nodes). */
  get unknowns(): number {
    return this.freeNodes.length;
  }

  /**
   * Solve for the free node voltages.
   * @param gates_V gate voltage per edge
   * @param transistors this copy's per-edge transistor parameters
   * @param voltages_V per node: fixed values and the starting guess on entry (warm start);
   *   the free entries are overwritten with the solution (or the last iterate on failure)
   * @param injected_A optional current injected into each node (A), e.g. Equilibrium Propagation's nudge
   */
  solve(gates_V: Float64Array, transistors: TransistorSet, voltages_V: Float64Array, injected_A: Float64Array | null = null): SolveResult {
    const n = this.freeNodes.length;
    const { freeNodes, residual, step, previous } = this;
    for (let k = 0; k < this.unconnectedNodes.length; k++) voltages_V[this.unconnectedNodes[k]] = 0;
    // The maximum principle's box (see the class comment).
    let low_V = -Infinity;
    let high_V = Infinity;
    if (injected_A === null) {
      low_V = 0;
      high_V = 0;
      const fixedNodes = this.fixedNodes;
      for (let k = 0; k < fixedNodes.length; k++) {
        const v = voltages_V[fixedNodes[k]];
        if (v < low_V) low_V = v;
        if (v > high_V) high_V = v;
      }
    }
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(voltages_V[freeNodes[k]])) voltages_V[freeNodes[k]] = 0; // in the box: it holds the bulk's 0 V
    }
    let merit = this.assemble(gates_V, transistors, voltages_V, injected_A, true);
    let iterations = 0;
    let linearIterations = 0;
    const result = (status: SolveStatus): SolveResult => ({ status, iterations, linearIterations, residual_A: this.maxResidual() });
    for (;;) {
      if (this.converged()) return result('converged');
      if (!Number.isFinite(merit)) return result('non-finite');
      if (iterations >= this.maxIterations) return result('max-iterations');
      iterations++;
      for (let k = 0; k < n; k++) step[k] = -residual[k];
      if (this.linearPath === 'direct') {
        const info = luFactor(this.pattern, this.values, this.work);
        if (info !== 0) return result('singular');
        luSolve(this.pattern, this.values, step);
      } else {
        linearIterations += this.multigridStep(step);
      }
      let largest = 0;
      for (let k = 0; k < n; k++) {
        const a = Math.abs(step[k]);
        if (a > largest) largest = a;
      }
      if (!Number.isFinite(largest)) return result('non-finite');
      if (largest > this.maxStep) {
        const f = this.maxStep / largest;
        for (let k = 0; k < n; k++) step[k] *= f;
      }
      for (let k = 0; k < n; k++) {
        const node = freeNodes[k];
        previous[k] = voltages_V[node];
        const v = previous[k] + step[k];
        voltages_V[node] = v < low_V ? low_V : v > high_V ? high_V : v;
      }
      let next = this.assemble(gates_V, transistors, voltages_V, injected_A, true);
      // Backtrack while the step makes KCL worse: Newton's direction is a descent
      // direction for the squared residual, so a short enough step always helps.
      let fraction = 1;
      while (!(next <= merit) && fraction > 1 / 1024 && !this.converged()) {
        fraction *= 0.5;
        for (let k = 0; k < n; k++) {
          const v = previous[k] + fraction * step[k];
          voltages_V[freeNodes[k]] = v < low_V ? low_V : v > high_V ? high_V : v;
        }
        next = this.assemble(gates_V, transistors, voltages_V, injected_A, true);
      }
      merit = next;
    }
  }

  /**
   * Solve J·x = b (b given in `x`, overwritten by the step) by BiCGSTAB with the reused
   * multigrid hierarchy, to LINEAR_FORCING of each node's KCL tolerance, or NEWTON_FORCING of
   * the worst node's present distance from it, whichever is looser.
   * The hierarchy is (re)built from the present Jacobian when there is none, when a solve
   * fails to converge with it (then the solve is retried once), and after a warm solve (one
   * near the solution, on LINEAR_FORCING) that took more than twice (plus three) the fewest
   * iterations a warm solve took with it: the gates and the operating point have moved far
   * enough that a fresh one pays for itself. Solves far from the solution are harder by
   * nature and are not compared.
   * @returns the BiCGSTAB iterations used
   */
  private multigridStep(x: Float64Array): number {
    const a = this.jacobian as CsrMatrix;
    const work = this.krylov as KrylovWork;
    const weight = work.weight; // 1/tolerance² per node, what BiCGSTAB stops on
    const { scale, absTol, relTol } = this;
    let worst = 0; // the largest |residual| / own tolerance
    for (let k = 0; k < weight.length; k++) {
      const tolerance = Math.max(absTol, relTol * scale[k], 1e-150); // the floor keeps 1/tol² finite
      weight[k] = tolerance;
      worst = Math.max(worst, Math.abs(x[k]) / tolerance);
    }
    const forcing = Math.max(LINEAR_FORCING, NEWTON_FORCING * worst);
    const warm = forcing === LINEAR_FORCING;
    for (let k = 0; k < weight.length; k++) {
      const tolerance = forcing * weight[k];
      weight[k] = 1 / (tolerance * tolerance);
    }
    const b = this.previous; // free until the step is taken
    b.set(x);
    let used = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const fresh = this.hierarchy === null;
      if (fresh) {
        this.hierarchy = new SmoothedAggregation(a, this.pattern.diagonal);
        this.hierarchiesBuilt++;
        this.fewestWarm = 0;
      }
      const h = this.hierarchy as SmoothedAggregation;
      const its = bicgstab(a, (y, z) => h.apply(y, z), b, x, this.maxLinear, work);
      used += Math.abs(its);
      if (its >= 0) {
        if (warm && its > 0) {
          if (this.fewestWarm === 0 || its < this.fewestWarm) this.fewestWarm = its;
          else if (its > 2 * this.fewestWarm + 3) this.hierarchy = null;
        }
        return used;
      }
      this.hierarchy = null;
      if (fresh) break; // a fresh hierarchy did not converge either: take the inexact step
    }
    return used;
  }

  /**
   * Forget the reused multigrid hierarchy, so the next solve builds one from its own
   * Jacobian. What a solve returns then depends only on its inputs, not on which solves came
   * before: a run resumed from a snapshot, or re-driven from its log, gives the same bits as
   * the uninterrupted run when both reset at the snapshot. A no-op on the direct path.
   */
  resetPreconditioner(): void {
    this.hierarchy = null;
  }

  /** Multigrid hierarchies built so far (0 on the direct path): how often staleness forced a rebuild. */
  get preconditionersBuilt(): number {
    return this.hierarchiesBuilt;
  }

  /**
   * Evaluate KCL residual (and, when `jacobian`, the Jacobian) at `voltages_V`.
   * @returns the squared 2-norm of the residual (A²)
   */
  private assemble(gates_V: Float64Array, t: TransistorSet, voltages_V: Float64Array, injected_A: Float64Array | null, jacobian: boolean): number {
    const { residual, scale, values, unknownOf, offAB, offBA, drain } = this;
    const diag = this.pattern.diagonal;
    const { edgeA, edgeB, edgeCount } = this.network;
    const n = this.freeNodes.length;
    residual.fill(0);
    scale.fill(0);
    if (jacobian) values.fill(0);
    const { vto_V, beta_AperV2, gamma_sqrtV, phi_V, lambda_perV, edgeState, shortConductance_S } = t;

    for (let e = 0; e < edgeCount; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      const ua = unknownOf[a];
      const ub = unknownOf[b];
      if (ua < 0 && ub < 0) continue;
      const va = voltages_V[a];
      const vb = voltages_V[b];
      let current: number; // a → b
      let dIdVa: number;
      let dIdVb: number;
      const state = edgeState[e];
      if (state === EDGE_OPEN) {
        continue;
      } else if (state === EDGE_SHORT) {
        current = shortConductance_S * (va - vb);
        dIdVa = shortConductance_S;
        dIdVb = -shortConductance_S;
      } else {
        // One call site (the drain is the higher terminal) keeps the kernel inlined.
        const forward = va >= vb;
        level1Drain(forward ? va : vb, forward ? vb : va, gates_V[e], vto_V[e], beta_AperV2[e], gamma_sqrtV, phi_V, lambda_perV, drain);
        const gds = drain[DRAIN_GDS];
        const gSource = gds + drain[DRAIN_GM] + drain[DRAIN_GMBS];
        if (forward) {
          current = drain[DRAIN_ID];
          dIdVa = gds;
          dIdVb = -gSource;
        } else {
          current = -drain[DRAIN_ID];
          dIdVa = gSource;
          dIdVb = -gds;
        }
      }
      const mag = Math.abs(current);
      if (ua >= 0) {
        residual[ua] += current;
        scale[ua] += mag;
      }
      if (ub >= 0) {
        residual[ub] -= current;
        scale[ub] += mag;
      }
      if (jacobian) {
        if (ua >= 0) values[diag[ua]] += dIdVa;
        if (ub >= 0) values[diag[ub]] -= dIdVb;
        if (ua >= 0 && ub >= 0) {
          values[offAB[e]] += dIdVb;
          values[offBA[e]] -= dIdVa;
        }
      }
    }

    // Source/drain junction leakage to the grounded bulk, per transistor terminal (ngspice mos1load).
    const { gmin, junctionIs, vt, leakTerminals, freeNodes } = this;
    let merit = 0;
    for (let k = 0; k < n; k++) {
      const node = freeNodes[k];
      const v = voltages_V[node];
      const vbs = -v;
      let leak: number; // out of the node into the bulk
      let gLeak: number;
      if (vbs <= -3 * vt) {
        leak = gmin * v + junctionIs;
        gLeak = gmin;
      } else {
        const ev = Math.exp(Math.min(MAX_EXP_ARG, vbs / vt));
        leak = -(junctionIs * (ev - 1) + gmin * vbs);
        gLeak = (junctionIs * ev) / vt + gmin;
      }
      const m = leakTerminals[k];
      residual[k] += m * leak;
      scale[k] += m * Math.abs(leak);
      if (jacobian) values[diag[k]] += m * gLeak;
      if (injected_A !== null) {
        const inj = injected_A[node];
        residual[k] -= inj;
        scale[k] += Math.abs(inj);
      }
      merit += residual[k] * residual[k];
    }
    return merit;
  }

  private converged(): boolean {
    const { residual, scale, absTol, relTol } = this;
    for (let k = 0; k < residual.length; k++) {
      const r = Math.abs(residual[k]);
      if (!(r <= absTol || r <= relTol * scale[k])) return false;
    }
    return true;
  }

  private maxResidual(): number {
    let m = 0;
    for (let k = 0; k < this.residual.length; k++) {
      const r = Math.abs(this.residual[k]);
      if (!(r <= m)) m = r;
    }
    return m;
  }

  /**
   * KCL residual at every node (A): net current leaving it through channels and leakage,
   * minus any injected current. Zero (to tolerance) at free nodes of a converged solve;
   * at fixed nodes it is the current the source must supply. For tests and reports.
   */
  kclResidual(gates_V: Float64Array, t: TransistorSet, voltages_V: Float64Array, injected_A: Float64Array | null = null): Float64Array {
    const out = new Float64Array(this.network.nodeCount);
    const currents = new Float64Array(this.network.edgeCount);
    edgeCurrents(this.network, gates_V, t, voltages_V, currents);
    const { edgeA, edgeB, edgeCount } = this.network;
    for (let e = 0; e < edgeCount; e++) {
      out[edgeA[e]] += currents[e];
      out[edgeB[e]] -= currents[e];
    }
    const degree = nodeDegrees(this.network);
    for (let i = 0; i < out.length; i++) {
      out[i] += degree[i] * junctionLeak(voltages_V[i], this.gmin, this.junctionIs, this.vt);
      if (injected_A !== null) out[i] -= injected_A[i];
    }
    return out;
  }
}

/** Leakage of one transistor terminal at voltage v into the grounded bulk (A). */
export function junctionLeak(v: number, gmin_S: number, is_A: number, vt_V: number): number {
  const vbs = -v;
  if (vbs <= -3 * vt_V) return gmin_S * v + is_A;
  return -(is_A * (Math.exp(Math.min(MAX_EXP_ARG, vbs / vt_V)) - 1) + gmin_S * vbs);
}

/** Channel current of every edge, signed a → b (A). Writes `out`. */
export function edgeCurrents(network: Network, gates_V: Float64Array, t: TransistorSet, voltages_V: Float64Array, out: Float64Array): void {
  const drain = newDrainResult();
  const { edgeA, edgeB, edgeCount } = network;
  for (let e = 0; e < edgeCount; e++) {
    const va = voltages_V[edgeA[e]];
    const vb = voltages_V[edgeB[e]];
    const state = t.edgeState[e];
    if (state === EDGE_OPEN) out[e] = 0;
    else if (state === EDGE_SHORT) out[e] = t.shortConductance_S * (va - vb);
    else if (va >= vb) {
      level1Drain(va, vb, gates_V[e], t.vto_V[e], t.beta_AperV2[e], t.gamma_sqrtV, t.phi_V, t.lambda_perV, drain);
      out[e] = drain[DRAIN_ID];
    } else {
      level1Drain(vb, va, gates_V[e], t.vto_V[e], t.beta_AperV2[e], t.gamma_sqrtV, t.phi_V, t.lambda_perV, drain);
      out[e] = -drain[DRAIN_ID];
    }
  }
}
