/**
 * One row of a study's results table: one training run (a job) — the axis values that made
 * it, what it measured, and where and how it ran. The same row goes to results.jsonl, to
 * results.csv (flattened), to InfluxDB and into the study report.
 */

/** An axis value as the study file gave it (a size, a topology name, a seed, η, …). */
export type AxisValue = string | number | boolean;

export interface StudyMetrics {
  /** Training steps run, and their learning time (steps × t_h, s). */
  readonly steps: number;
  readonly learning_s: number;
  /** The study's target MSE (V²), or null when the study sets none. */
  readonly targetMse_V2: number | null;
  /** First test step at which the MSE was at or below the target, and its learning time; null: never (or no target). */
  readonly stepsToTarget: number | null;
  readonly timeToTarget_s: number | null;
  readonly mseStart_V2: number;
  readonly mseEnd_V2: number;
  /** Per error mode, the learning time at which it first fell below half its start (s), null: never. Empty for multi-output tasks. */
  readonly modeHalfTimes_s: Readonly<Record<string, number | null>>;
  /** Charging energy through R0 over the run (J), Eq. D1 summed over edges and steps. */
  readonly learningEnergy_J: number;
  /** Op-amp and multiplier energy at the study's power per edge (the paper's ~100 mW) × edges × learning time (J); null when the study leaves it out. */
  readonly opAmpEnergy_J: number | null;
  /** Free-network inference power per edge, mean over datapoints and edges (W). */
  readonly inferencePowerPerEdge_W: number;
  /** Inference energy per edge per inference (J): power × τ_V. */
  readonly inferenceEnergyPerEdge_J: number;
  /** Multi-output tasks: final accuracy on the datapoints trained on. */
  readonly accuracyEnd?: number;
}

export interface StudyRow {
  /** The study's id (its name and a hash of its jobs). */
  readonly study: string;
  /** The job's id: a hash of its resolved experiment (seed included), so the same job always has the same id. */
  readonly job: string;
  /** This job's value of every axis, by axis name (e.g. {size: 8, topology: "lattice", task: "xor", seed: 2}). */
  readonly params: Readonly<Record<string, AxisValue>>;
  /** What the scaling plots put on their axes and group by. */
  readonly topology: string;
  readonly task: string;
  readonly seed: number;
  readonly nodes: number;
  readonly edges: number;
  /** 'done': metrics hold; 'failed': the run failed, `error` says why (metrics null). */
  readonly status: 'done' | 'failed';
  readonly metrics: StudyMetrics | null;
  readonly error?: string;
  /** Who ran it: hostname/pid or thread, as the worker names itself. */
  readonly worker: string;
  /** Wall time of the job on its worker (s). */
  readonly wall_s: number;
  /** metatwin's package version and git commit (short hash, or "unknown"). */
  readonly version: string;
  readonly commit: string;
  /** Wall-clock time the row was written (ISO 8601). */
  readonly finishedAt: string;
}
