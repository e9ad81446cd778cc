/**
 * The InfluxDB 1.x schema metatwin writes: one place that names every measurement, tag and
 * field, so the projection, the Grafana dashboards, `metatwin watch` and the README agree.
 *
 * Time: a point's timestamp is the run's start (wall clock, from RunCreated) plus the
 * signal's simulated time, written with microsecond precision (t_h = 100 µs, and µs keeps
 * the epoch timestamp exact in a float64). Every point also carries the simulated time as the
 * field `t_s` and the training step as `step`, so runs can be overlaid by `t_s`/`step` or by
 * shifting each run by its start. Service health points are stamped with wall-clock time,
 * and a study's points (one per finished job) with the job's finish time.
 *
 * Re-projecting a run writes the same (measurement, tags, timestamp) again, which InfluxDB
 * stores once: the projection is idempotent, so catching up after an outage never doubles.
 */

export const DEFAULT_DATABASE = 'metatwin';
/** Precision of every write (microseconds). */
export const PRECISION = 'u' as const;

export type TagSet = Readonly<Record<string, string>>;
export type FieldSet = Readonly<Record<string, number | string | boolean>>;

export interface Point {
  readonly measurement: MeasurementName;
  readonly tags: TagSet;
  readonly fields: FieldSet;
  /** Microseconds since the Unix epoch (an exact integer in a float64). */
  readonly time_us: number;
}

/**
 * Measurements. Tags common to every run-level point: run, experiment, task.
 * Field units are in the name's suffix (_V volts, _V2 volts², _S siemens, _W watts, _s seconds).
 */
export const MEASUREMENTS = {
  /** Run lifecycle. tags: run, experiment, task, mode (embedded|distributed). fields: status ("created"|"finished"|"aborted"), steps (planned), seed, eta, t_h_s, edges, nodes, datapoints, reason (aborted only), t_s, step. */
  run: 'run',
  /** Per test step. tags: run, experiment, task. fields: mse_V2 (datapoints trained on), mode_<name>_V (signed error mode, e.g. mode_E00_V; single-output tasks), heldOutMse_V2 (when the dataset holds datapoints out), accuracy and heldOutAccuracy (multi-output tasks: fraction sorted to their class), t_s, step. */
  error: 'error',
  /** Per test step and datapoint. tags: run, experiment, task, datapoint, inputs ("0,2" volts), copy=free, and output (0, 1, …) in a multi-output task. fields: output_V (ADC reading, O+ − O− when differential), label_V, error_V (output − label), t_s, step. */
  output: 'output',
  /** Per edge, at test steps and every `projectEvery` training steps. tags: run, experiment, task, edge, nodes ("a-b"). fields: gate_V, conductance_S (free copy, at the last datapoint's voltages), t_s, step. */
  gate: 'gate',
  /** Per edge at test steps, mean over datapoints. tags: run, experiment, task, copy=free, edge. fields: power_W, t_s, step. A row with edge="total" holds the network's total. */
  power: 'power',
  /** Learn-enable, every `projectEvery` training steps and at test steps. tags: run, experiment, task. fields: enabled (1 during a training step, 0 during a test), duty (training steps / supervisor cycles since the previous point; a test datapoint is one cycle with learning off), t_s, step. */
  learnEnable: 'learn_enable',
  /** DAC writes of projected training steps and of test steps. tags: run, experiment, task, channel, target ("node 3" | "label"), phase (train|test), datapoint. fields: code (0..255), volts (V, decoded through the patch map), t_s, step. */
  dac: 'dac',
  /** Clamp outputs of projected training steps: what the clamping circuit holds the clamped copy's output(s) at. tags: run, experiment, task, copy=clamped, output (node index among the output nodes). fields: value (V or A), drives ("voltage"|"current"), substep, t_s, step. */
  clamp: 'clamp',
  /** Every ADC sample. tags: run, experiment, task, copy=free, datapoint, address, node, edge. fields: node_code, gate_code (0..255), node_V, gate_V (decoded), repeats, t_s, step. */
  adc: 'adc',
  /** Service health, wall-clock time. tags: service. fields: handled (messages, cumulative), rate_per_s, latency_mean_ms, latency_max_ms (handler time since the previous point), dead_letters, nats_reconnects, recorded (signals appended to the log). */
  service: 'service',
  /** A service's links to hardware I/O controllers (its bridges), wall-clock time, with its health. tags: service, controller (the target: tcp://host:port or a serial device). fields: state (1 up, 0 otherwise), state_name ("connecting"|"up"|"down"|"closed"), framesSent, framesReceived, badFrames (refused on CRC, size or length), retries, stale, reconnects, answered (cumulative over the link's life), rtt_ms (last answered command), rttMean_ms, rttMax_ms. */
  controllerLink: 'controller_link',
  /** `metatwin compare --influx`: per test step and measured signal, a recorded run's residual against its twin. tags: run, experiment, task, signal (adcNode|adcGate|networkNodes|networkGates), twin ("card" or the chip file). fields: rms_codes (RMS of measured − twin, ADC codes), noise_floor_codes (a perfect twin's), t_s, step. */
  twinResidual: 'twin_residual',
  /** The projector's own progress, wall-clock time. tags: projector. fields: stream_seq (last event-log message projected), points (cumulative), pending (points buffered). */
  projector: 'projector',
  /**
   * Scaling studies: one point per finished job (a StudyRow of @metatwin/studies, study-points.ts), stamped with the row's finishedAt (wall clock, ms).
   * tags: study, job, task, topology, status ("done"|"failed"), worker. fields: failed (1 failed, 0 done: a job's status as a number, so its last row decides),
   * nodes, edges, seed, wall_s (the job's wall time on its worker), param_<axis> per numeric axis value (e.g. param_size), error (failed jobs: why), and a done
   * job's numeric metrics under their StudyMetrics names — steps, learning_s, targetMse_V2, stepsToTarget, timeToTarget_s, mseStart_V2, mseEnd_V2,
   * learningEnergy_J, opAmpEnergy_J, inferencePowerPerEdge_W, inferenceEnergyPerEdge_J, accuracyEnd — and modeHalfTime_<name>_s per error mode; a null metric
   * (never reached the target, no target) is left out, as InfluxDB has no null. A job run again (after a failure) is a second point with its own time.
   */
  study: 'study',
} as const;

export type MeasurementName = (typeof MEASUREMENTS)[keyof typeof MEASUREMENTS];

/** Field holding error mode `name` (E0, E1, E00, E11, …) in the error measurement. */
export const modeField = (name: string): string => `mode_${name}_V`;

/** Points of a run are stamped start + simulated time. */
export function pointTime_us(start_ms: number, t_ns: number): number {
  return start_ms * 1000 + Math.round(t_ns / 1000);
}

/** Training steps between projected gate, DAC, clamp and learn-enable points (test steps are always projected). */
export function projectEvery(steps: number, target = 500): number {
  return Math.max(1, Math.floor(steps / target));
}
