/**
 * The twin network and its learning circuits as a service. It holds the inputs and rails
 * the DAC drives, and on learn-enable runs one training step: solve the free copy, tell the
 * clamp the outputs, wait for the clamped outputs, solve the clamped copy, integrate the
 * gates — `substeps` times — then report the gates. Supervisor signals that arrive while a
 * step waits for the clamp are held back and applied in order afterwards, so the DAC never
 * changes under a step in flight.
 */
import { decodeFloat64, encodeFloat64, type Signal } from '@metatwin/contracts';
import type { TwinNetwork } from '@metatwin/edge-physics';
import { buildTwin, dacConfig, type Experiment } from '@metatwin/experiments';
import type { DacConfig } from '@metatwin/supervisor';
import { dacVoltage, type PatchTarget } from '@metatwin/supervisor';
import { ClampingCore } from './clamping-core';
import { Core } from './core';

interface RunState {
  readonly exp: Experiment;
  readonly dac: DacConfig;
  readonly twin: TwinNetwork;
  /** DAC channel → index into the held voltages, or −1 for channels that are not nodes. */
  heldIndexOfChannel: number[];
  targets: PatchTarget[];
  readonly held_V: Float64Array;
  /** Last training step applied (−1 before the first): steps at or below it are not applied again. */
  lastApplied: number;
  /** Ignoring a re-sent step's or an outdated test's signals, until the next step or test marker. */
  skipping: boolean;
  /** The step in flight: waiting for ClampOutputSet(step, substep). */
  inFlight: { step: number; substep: number; duration_ns: number; t_ns: number } | null;
  readonly backlog: Signal[];
}

export class EdgePhysicsCore extends Core {
  readonly source = 'edge-physics' as const;
  readonly listensTo = ['supervisor', 'clamping'] as const;
  readonly accepts = ['RunCreated', 'PatchMapSet', 'DacWritten', 'StepStarted', 'LearningEnabled', 'TestStepStarted', 'TestDatapointApplied', 'ClampOutputSet', 'ServiceStarted', 'RunFinished', 'RunAborted'] as const;
  private readonly runs = new Map<string, RunState>();

  /** The twin of a run (for tests and replay). */
  twinOf(runId: string): TwinNetwork | undefined {
    return this.runs.get(runId)?.twin;
  }

  handle(s: Signal): void {
    const runId = s.meta.runId;
    if (s.type === 'RunCreated') {
      const exp = s.data.experiment as Experiment;
      const { twin } = buildTwin(exp);
      this.runs.set(runId, { exp, dac: dacConfig(exp), twin, heldIndexOfChannel: [], targets: [], held_V: new Float64Array(twin.heldNodes.length), lastApplied: -1, skipping: false, inFlight: null, backlog: [] });
      return;
    }
    const run = this.runs.get(runId);
    if (!run) return;
    if (s.meta.source === 'clamping') {
      if (s.type === 'ClampOutputSet') this.onClamp(runId, run, s);
      // A restarted clamp lost the step in flight; the supervisor sends it again, and since
      // nothing was integrated yet, it is simply done again (from the same warm start).
      if (s.type === 'ServiceStarted' && run.inFlight !== null) {
        run.inFlight = null;
        run.twin.learnEnabled = false;
        run.backlog.length = 0;
      }
      return;
    }
    if (run.inFlight !== null) {
      run.backlog.push(s);
      return;
    }
    this.onSupervisor(runId, run, s);
  }

  private onSupervisor(runId: string, run: RunState, s: Signal): void {
    const { twin } = run;
    switch (s.type) {
      case 'PatchMapSet':
        run.targets = s.data.channels.map((c) => ({ ...c }));
        run.heldIndexOfChannel = s.data.channels.map((c) => (c.kind === 'node' ? Array.prototype.indexOf.call(twin.heldNodes, c.node) : -1));
        return;
      case 'DacWritten': {
        if (run.skipping) return;
        const i = run.heldIndexOfChannel[s.data.channel] ?? -1;
        if (i >= 0) run.held_V[i] = s.data.volts ?? dacVoltage(run.dac, run.targets[s.data.channel], s.data.code);
        return;
      }
      case 'StepStarted':
        run.skipping = s.data.step <= run.lastApplied;
        if (!run.skipping) twin.selectSlot(s.data.datapoint);
        return;
      case 'TestStepStarted':
        // A test at step k sees the network after k steps; one sent again later is stale.
        run.skipping = s.data.step !== run.lastApplied + 1;
        return;
      case 'LearningEnabled':
        if (run.skipping || s.data.step <= run.lastApplied) return;
        twin.applyDamageDue();
        twin.applyHeld(run.held_V);
        twin.learnEnabled = true;
        run.inFlight = { step: s.data.step, substep: 0, duration_ns: s.data.duration_ns, t_ns: s.meta.t_ns };
        this.solveFreeAndAsk(runId, run);
        return;
      case 'TestDatapointApplied': {
        if (run.skipping) return;
        twin.learnEnabled = false;
        twin.selectSlot(s.data.datapoint);
        const nodes_V = new Float64Array(twin.freeVoltages_V.length);
        const r = twin.measure(run.held_V, undefined, nodes_V);
        if (r.status !== 'converged') throw new Error(`run ${runId} test ${s.data.step} datapoint ${s.data.datapoint}: free solve ${r.status}`);
        this.emit(runId, 'NodesSettled', s.meta.t_ns, { step: s.data.step, datapoint: s.data.datapoint, free_V: Array.from(nodes_V), gates: encodeFloat64(twin.gates_V) });
        return;
      }
      case 'RunFinished':
      case 'RunAborted':
        this.runs.delete(runId);
        return;
      default:
        return;
    }
  }

  private solveFreeAndAsk(runId: string, run: RunState): void {
    const f = run.inFlight as NonNullable<RunState['inFlight']>;
    const r = run.twin.solveFree();
    if (r.status !== 'converged') return this.fail(runId, run, `free solve ${r.status} (residual ${r.residual_A.toExponential(2)} A)`);
    this.emit(runId, 'FreeOutputMeasured', f.t_ns, { step: f.step, substep: f.substep, outputs_V: Array.from(run.twin.freeOutputs()) });
  }

  private onClamp(runId: string, run: RunState, s: Signal<'ClampOutputSet'>): void {
    const f = run.inFlight;
    if (f === null || s.data.step !== f.step || s.data.substep !== f.substep) return; // stale or duplicate
    const { twin } = run;
    twin.applyClamp(s.data.values);
    const r = twin.solveClamped();
    if (r.status !== 'converged') return this.fail(runId, run, `clamped solve ${r.status} (residual ${r.residual_A.toExponential(2)} A)`);
    const substeps = run.exp.schedule.substeps;
    twin.integrateGates(f.duration_ns / 1e9 / substeps);
    f.substep++;
    if (f.substep < substeps) return this.solveFreeAndAsk(runId, run);
    twin.time_s += f.duration_ns / 1e9;
    twin.learnEnabled = false;
    run.inFlight = null;
    run.lastApplied = f.step;
    this.emit(runId, 'GatesEvolved', f.t_ns + f.duration_ns, { step: f.step, gates: encodeFloat64(twin.gates_V), datapoint: twin.slotIndex });
    this.drainBacklog(runId, run);
  }

  private fail(runId: string, run: RunState, reason: string): void {
    const f = run.inFlight as NonNullable<RunState['inFlight']>;
    run.inFlight = null;
    run.twin.learnEnabled = false;
    this.emit(runId, 'GatesEvolved', f.t_ns, { step: f.step, gates: encodeFloat64(run.twin.gates_V), failed: `training step ${f.step}: ${reason}` });
    run.backlog.length = 0;
  }

  private drainBacklog(runId: string, run: RunState): void {
    while (run.backlog.length > 0 && run.inFlight === null) this.onSupervisor(runId, run, run.backlog.shift() as Signal);
  }

  /** Steps whose re-driven gates differed from the logged ones at the last recovery (0 for a simulated run). */
  recoveryMismatches = 0;

  /**
   * After a restart: rebuild a run from the log by re-driving the supervisor's logged signals
   * through a private edge physics and clamp — the same handlers, so gates, learning time,
   * damage and every datapoint's Newton warm start come out bit for bit as the live ones were —
   * up to the last step this service logged as applied, and check each re-driven step against
   * its logged GatesEvolved. Returns the first step still to apply.
   */
  recover(runId: string, logged: ReadonlyArray<Signal>): number {
    const recorded = new Map<number, string>();
    for (const s of logged) if (s.type === 'GatesEvolved' && s.meta.source === 'edge-physics' && !s.data.failed) recorded.set(s.data.step, s.data.gates);
    const lastApplied = recorded.size > 0 ? Math.max(...recorded.keys()) : -1;
    // Private wiring: each core's answer goes straight to the other, in order (FIFO, as a bus).
    const queue: Signal[] = [];
    const sim = new EdgePhysicsCore((s) => deliver(s));
    const clamp = new ClampingCore((s) => deliver(s));
    const deliver = (s: Signal): void => {
      queue.push(s);
      if (queue.length > 1) return;
      while (queue.length > 0) {
        const next = queue[0];
        if (next.meta.source === 'edge-physics') {
          if (next.type === 'GatesEvolved') this.checkRecovered(runId, next, recorded, sim);
          else clamp.handle(next);
        } else if (next.meta.source === 'clamping') sim.handle(next);
        else {
          sim.handle(next);
          clamp.handle(next);
        }
        queue.shift();
      }
    };
    // The supervisor's own order (its sequence numbers), not the log's merge by time.
    const supervisor = logged.filter((s) => s.meta.source === 'supervisor').sort((a, b) => a.meta.seq - b.meta.seq);
    for (const s of supervisor) {
      // Stop where the dead process stopped: the first step it had not applied.
      if ((s.type === 'StepStarted' || s.type === 'TestStepStarted') && s.data.step > lastApplied) break;
      if (s.type === 'RunFinished' || s.type === 'RunAborted') break;
      deliver(s);
    }
    const run = sim.runs.get(runId);
    if (!run) return 0;
    this.runs.set(runId, run);
    run.skipping = true; // until the supervisor's next step or test marker
    return run.lastApplied + 1;
  }

  private checkRecovered(runId: string, s: Signal<'GatesEvolved'>, recorded: Map<number, string>, sim: EdgePhysicsCore): void {
    const want = recorded.get(s.data.step);
    if (want === undefined || want === s.data.gates) return;
    // Should not happen for a simulated edge; keep the logged gates, which are what was applied.
    this.recoveryMismatches++;
    sim.runs.get(runId)?.twin.gates_V.set(decodeFloat64(want));
  }
}
