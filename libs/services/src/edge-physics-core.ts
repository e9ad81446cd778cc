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
import { Core } from './core';

interface RunState {
  readonly exp: Experiment;
  readonly dac: DacConfig;
  readonly twin: TwinNetwork;
  /** DAC channel → index into the held voltages, or −1 for channels that are not nodes. */
  heldIndexOfChannel: number[];
  targets: PatchTarget[];
  readonly held_V: Float64Array;
  /** The step in flight: waiting for ClampOutputSet(step, substep). */
  inFlight: { step: number; substep: number; duration_ns: number; t_ns: number } | null;
  readonly backlog: Signal[];
}

export class EdgePhysicsCore extends Core {
  readonly source = 'edge-physics' as const;
  readonly listensTo = ['supervisor', 'clamping'] as const;
  readonly accepts = ['RunCreated', 'PatchMapSet', 'DacWritten', 'StepStarted', 'LearningEnabled', 'TestDatapointApplied', 'ClampOutputSet', 'RunFinished', 'RunAborted'] as const;
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
      this.runs.set(runId, { exp, dac: dacConfig(exp), twin, heldIndexOfChannel: [], targets: [], held_V: new Float64Array(twin.heldNodes.length), inFlight: null, backlog: [] });
      return;
    }
    const run = this.runs.get(runId);
    if (!run) return;
    if (s.meta.source === 'clamping') {
      if (s.type === 'ClampOutputSet') this.onClamp(runId, run, s);
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
        const i = run.heldIndexOfChannel[s.data.channel] ?? -1;
        if (i >= 0) run.held_V[i] = s.data.volts ?? dacVoltage(run.dac, run.targets[s.data.channel], s.data.code);
        return;
      }
      case 'StepStarted':
        twin.selectSlot(s.data.datapoint);
        return;
      case 'LearningEnabled':
        twin.applyDamageDue();
        twin.applyHeld(run.held_V);
        twin.learnEnabled = true;
        run.inFlight = { step: s.data.step, substep: 0, duration_ns: s.data.duration_ns, t_ns: s.meta.t_ns };
        this.solveFreeAndAsk(runId, run);
        return;
      case 'TestDatapointApplied': {
        twin.learnEnabled = false;
        twin.selectSlot(s.data.datapoint);
        const r = twin.infer(run.held_V);
        if (r.status !== 'converged') throw new Error(`run ${runId} test ${s.data.step} datapoint ${s.data.datapoint}: free solve ${r.status}`);
        this.emit(runId, 'NodesSettled', s.meta.t_ns, { step: s.data.step, datapoint: s.data.datapoint, free_V: Array.from(twin.freeVoltages_V), gates: encodeFloat64(twin.gates_V) });
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
    this.emit(runId, 'GatesEvolved', f.t_ns + f.duration_ns, { step: f.step, gates: encodeFloat64(twin.gates_V) });
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

  /** Restore gates from the log after a restart (state is a fold of GatesEvolved). */
  restoreGates(runId: string, gatesBase64: string, time_s: number): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.twin.gates_V.set(decodeFloat64(gatesBase64));
    run.twin.time_s = time_s;
  }
}
