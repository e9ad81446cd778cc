/**
 * The HIL tests' task: XOR from the paper's starting point (gates at 2.5 V, V+ = 0.33 V) with
 * t_h = 1 ms, so it learns (MSE down ≈ 15×) in 2,500 steps, and with an ADC that has read-out
 * noise σ = 0.5 mV and averages 16 repeats — in the simulation and on the emulated board alike.
 */
import { planFromInput, xorPreset, type Experiment } from '@metatwin/experiments';

export const NOISE_V = 0.5e-3;
export const REPEATS = 16;
export const STEPS = 2500;

/** The experiment as a file would hold it (for the CLI). */
export function paperXorInput(): Record<string, unknown> {
  const base = xorPreset() as { roles: Record<string, unknown>; schedule: Record<string, unknown> };
  return {
    ...base,
    name: 'xor-paper-start',
    initialGates_V: 2.5,
    roles: {
      ...base.roles,
      rails: [
        { node: 3, volts: 0.11 },
        { node: 7, volts: 0.33 },
      ],
    },
    quantisation: { dac: true, adc: true, adcRepeats: REPEATS },
    imperfections: { readoutNoiseSigma_V: NOISE_V },
    schedule: { ...base.schedule, t_h_s: 1e-3, time_s: STEPS * 1e-3, testEvery: 250 },
  };
}

/** The experiment, with `rig` over its all-simulated rig. */
export function paperXor(rig: Partial<Experiment['rig']> = {}): Experiment {
  const plan = planFromInput(paperXorInput(), {}, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return { ...plan.experiment, rig: { ...plan.experiment.rig, ...rig } };
}
