/**
 * A run on hardware keeps hardware time (t_h per learn pulse, timed on the controller): the
 * host reports how it went — the real-time factor and the jitter of the step period, from the
 * wall clock at which each training step was acknowledged (GatesEvolved), embedded or
 * distributed alike. Wall time is the host's reporting only, never the physics'.
 */
import { SOURCES, type Experiment, type Signal } from '@metatwin/contracts';
import type { RunResult } from '@metatwin/experiments';
import { isBridge, resolveAdapter, type Env } from './factory';

/** Whether any subsystem of the run binds a bridge (its adapter as the hosts will resolve it). */
export function onHardware(exp: Experiment, env: Env): boolean {
  return SOURCES.some((s) => {
    try {
      return isBridge(resolveAdapter(s, exp.rig[s], env));
    } catch {
      return false; // a malformed pin: the host binding it fails the run, and says why
    }
  });
}

export type Pacing = NonNullable<RunResult['pacing']>;

/** The host's wall-clock view of a run on hardware: when each training step was acknowledged (GatesEvolved). */
export class StepPacer {
  /** Intervals between consecutive acknowledged steps (µs): one per step at most, allocated once. */
  private readonly periods: Float64Array;
  private intervals = 0;
  private steps = 0;
  private last = 0;

  constructor(
    private readonly exp: Experiment,
    private readonly clock: () => number,
    private readonly started: number,
  ) {
    this.periods = new Float64Array(exp.schedule.steps);
  }

  step(s: Signal): void {
    if (s.type !== 'GatesEvolved' || s.data.failed) return;
    const now = this.clock();
    if (this.steps > 0 && this.intervals < this.periods.length) this.periods[this.intervals++] = (now - this.last) * 1e6;
    this.last = now;
    this.steps++;
  }

  pacing(pulses: { count: number; overMean_us: number; overMax_us: number } | undefined): Pacing {
    const n = this.intervals;
    const xs = this.periods.subarray(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[i];
    const mean = n > 0 ? sum / n : 0;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (xs[i] - mean) ** 2;
    const at = (q: number): number => (n > 0 ? xs[Math.min(n - 1, Math.floor(q * n))] : 0);
    const learning_s = this.steps * this.exp.schedule.t_h_s;
    const wall_s = this.steps > 0 ? this.last - this.started : 0;
    return {
      steps: this.steps,
      learning_s,
      wall_s,
      realTimeFactor: wall_s > 0 ? learning_s / wall_s : 0,
      stepPeriod_us: { mean, std: n > 0 ? Math.sqrt(squares / n) : 0, p50: at(0.5), p99: at(0.99), max: n > 0 ? xs[n - 1] : 0 },
      ...(pulses && pulses.count > 0 ? { pulseOverrun_us: { count: pulses.count, mean: pulses.overMean_us, max: pulses.overMax_us } } : {}),
    };
  }
}
