/**
 * An experiment's simulated hardware for analysis (the run assembler's final figures,
 * replay, the InfluxDB projection): the twin the edge physics' simulation builds, and the
 * voltages the DAC actually applies for every datapoint.
 */
import { isDifferential, outputCount, outputNodes, stepTime_ns, type Experiment } from '@metatwin/contracts';
import { twinOf, type TwinNetwork } from '@metatwin/edge-physics';
import { adcConfig, type AdcConfig } from '@metatwin/measurement';
import type { Network } from '@metatwin/physics';
import { applied_V, dacConfig } from '@metatwin/supervisor';

export interface Rig {
  readonly network: Network;
  readonly twin: TwinNetwork;
  /** Held voltages per datapoint, in twin.heldNodes order (inputs then rails), as applied. */
  readonly held_V: Float64Array[];
  /** Labels as applied through the label lines, datapoint-major: output k of datapoint d at d·outputs + k. */
  readonly labels_V: number[];
  /** Outputs (label lines) of the task. */
  readonly outputs: number;
  /** Variable-input voltages per datapoint as applied. */
  readonly inputs_V: number[][];
  /** Output nodes in the twin, in label order: [node, …] or [plus, minus, …]. */
  readonly outputNodes: number[];
  readonly differential: boolean;
  readonly adc: AdcConfig;
}

export function buildRig(exp: Experiment): Rig {
  const twin = twinOf(exp);
  const differential = isDifferential(exp.roles);
  const outputs = outputCount(exp);
  const dac = dacConfig(exp);
  const inputs_V = exp.dataset.inputs.map((row) => row.map((v, i) => applied_V(dac, { kind: 'node', node: exp.roles.inputs[i] }, v)));
  const rails_V = exp.roles.rails.map((r) => applied_V(dac, { kind: 'node', node: r.node }, r.volts));
  const held_V = inputs_V.map((row) => Float64Array.from([...row, ...rails_V]));
  const labels_V = exp.dataset.labels.map((l, i) => applied_V(dac, { kind: 'label', output: i % outputs, differential }, l));
  return { network: twin.network, twin, held_V, labels_V, outputs, inputs_V, outputNodes: outputNodes(exp), differential, adc: adcConfig(exp) };
}

/**
 * The rig as it stands after `stepsApplied` training steps at `gates_V`: learning time and
 * any damage due by then applied, warm starts cold — what the final figures and a replay
 * compute from, so they agree with the network that ran.
 */
export function rigAt(exp: Experiment, gates_V: ArrayLike<number>, stepsApplied: number): Rig {
  const rig = buildRig(exp);
  rig.twin.gates_V.set(gates_V);
  rig.twin.time_s = stepTime_ns(stepsApplied, exp.schedule.t_h_s) / 1e9;
  rig.twin.applyDamageDue();
  rig.twin.resetWarmStart();
  return rig;
}
