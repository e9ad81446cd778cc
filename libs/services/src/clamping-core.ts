/**
 * The clamping circuit as a service: holds η (from the potentiometer), the label line's
 * voltage (from its DAC channel), and answers every free-output reading with the clamped
 * outputs (Eq. 6/7) or EP currents.
 */
import { clampCircuit, type ClampCircuit } from '@metatwin/clamping';
import type { Signal } from '@metatwin/contracts';
import type { Experiment } from '@metatwin/experiments';
import { dacConfig } from '@metatwin/experiments';
import { dacVoltage, type DacConfig, type PatchTarget } from '@metatwin/supervisor';
import { Core } from './core';

interface RunState {
  readonly exp: Experiment;
  readonly dac: DacConfig;
  circuit: ClampCircuit;
  labelChannel: number;
  labelTarget: PatchTarget | null;
  readonly label_V: Float64Array;
  readonly out: Float64Array;
  /** Training step of the supervisor signals being read (StepStarted precedes its writes). */
  currentStep: number;
  /** Label line value per training step: the supervisor may run ahead of the edge physics. */
  readonly labelByStep: Map<number, number>;
  /** Free outputs that arrived before their step's label (different sources, no common order). */
  readonly waiting: Map<number, Signal<'FreeOutputMeasured'>[]>;
}

export class ClampingCore extends Core {
  readonly source = 'clamping' as const;
  readonly listensTo = ['supervisor', 'edge-physics'] as const;
  readonly accepts = ['RunCreated', 'PatchMapSet', 'PotentiometerSet', 'StepStarted', 'DacWritten', 'FreeOutputMeasured', 'RunFinished', 'RunAborted'] as const;
  private readonly runs = new Map<string, RunState>();

  handle(s: Signal): void {
    const runId = s.meta.runId;
    if (s.type === 'RunCreated') {
      const exp = s.data.experiment as Experiment;
      const outputs = 'plus' in exp.roles.output ? 2 : 1;
      this.runs.set(runId, { exp, dac: dacConfig(exp), circuit: clampCircuit(exp.clamp), labelChannel: -1, labelTarget: null, label_V: new Float64Array(1), out: new Float64Array(outputs), currentStep: -1, labelByStep: new Map(), waiting: new Map() });
      return;
    }
    const run = this.runs.get(runId);
    if (!run) return;
    switch (s.type) {
      case 'PatchMapSet':
        run.labelChannel = s.data.channels.findIndex((c) => c.kind === 'label');
        run.labelTarget = run.labelChannel >= 0 ? { kind: 'label', output: 0, differential: 'plus' in run.exp.roles.output } : null;
        return;
      case 'PotentiometerSet': {
        const law = run.exp.clamp;
        if (law.kind === 'coupled' || law.kind === 'differential') run.circuit = clampCircuit({ ...law, eta: s.data.eta });
        return;
      }
      case 'StepStarted':
        run.currentStep = s.data.step;
        return;
      case 'DacWritten':
        if (s.data.channel === run.labelChannel && run.labelTarget && run.currentStep >= 0) {
          const step = run.currentStep;
          run.labelByStep.set(step, s.data.volts ?? dacVoltage(run.dac, run.labelTarget, s.data.code));
          for (const free of run.waiting.get(step) ?? []) this.answer(runId, run, free);
          run.waiting.delete(step);
        }
        return;
      case 'FreeOutputMeasured':
        if (run.labelByStep.has(s.data.step)) this.answer(runId, run, s);
        else run.waiting.set(s.data.step, [...(run.waiting.get(s.data.step) ?? []), s]);
        return;
      case 'RunFinished':
      case 'RunAborted':
        this.runs.delete(runId);
        return;
      default:
        return;
    }
  }

  /** After a restart: η and the label channel from the log; labels come again with the re-sent steps. */
  recover(runId: string, logged: ReadonlyArray<Signal>): void {
    for (const s of logged) if (s.type === 'RunCreated' || s.type === 'PatchMapSet' || s.type === 'PotentiometerSet') this.handle(s);
  }

  private answer(runId: string, run: RunState, s: Signal<'FreeOutputMeasured'>): void {
    run.label_V[0] = run.labelByStep.get(s.data.step) as number;
    run.circuit.clamp(s.data.outputs_V, run.label_V, run.out);
    this.emit(runId, 'ClampOutputSet', s.meta.t_ns, { step: s.data.step, substep: s.data.substep, drives: run.circuit.drives, values: Array.from(run.out) });
    // Labels of steps the edge physics has finished with are no longer needed.
    run.labelByStep.delete(s.data.step - 1);
  }
}
