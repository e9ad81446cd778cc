/**
 * A finished job's row: what the study file asked to collect, read off the run's result.json
 * (the same fold every run uses), plus where and how it ran.
 */
import type { RunResult } from '@metatwin/experiments';
import type { Job } from './jobs';
import type { StudyRow } from './row';
import type { StudyMetricsSpec } from './study-file';

export interface JobOrigin {
  /** Who ran it: host/pid, or host/pid/thread. */
  readonly worker: string;
  readonly wall_s: number;
  readonly version: string;
  readonly commit: string;
  /** Wall-clock time of the row (ms since the epoch). */
  readonly finishedAt_ms: number;
}

function base(studyId: string, job: Job, origin: JobOrigin): Omit<StudyRow, 'status' | 'metrics' | 'error'> {
  const exp = job.experiment;
  return {
    study: studyId,
    job: job.id,
    params: job.params,
    topology: job.topology,
    task: job.task,
    seed: exp.seed,
    nodes: exp.network.kind === 'lattice' ? exp.network.rows * exp.network.cols : exp.network.nodes,
    edges: exp.initialGates_V.length,
    worker: origin.worker,
    wall_s: origin.wall_s,
    version: origin.version,
    commit: origin.commit,
    finishedAt: new Date(origin.finishedAt_ms).toISOString(),
  };
}

export function doneRow(studyId: string, job: Job, spec: StudyMetricsSpec, result: RunResult, origin: JobOrigin): StudyRow {
  const { log, summary, final } = result;
  const first = log[0];
  const last = log[log.length - 1];
  const target = spec.targetMse_V2 ?? (spec.targetFall === null ? null : first.mse / spec.targetFall);
  const reached = target === null ? undefined : log.find((e) => e.mse <= target);
  const edges = final.gates_V.length;
  const powerPerEdge = final.powerPerEdge_W.reduce((a, b) => a + b, 0) / Math.max(1, final.powerPerEdge_W.length);
  return {
    ...base(studyId, job, origin),
    status: 'done',
    metrics: {
      steps: result.steps,
      learning_s: last.t_s,
      targetMse_V2: target,
      stepsToTarget: reached?.step ?? null,
      timeToTarget_s: reached?.t_s ?? null,
      mseStart_V2: first.mse,
      mseEnd_V2: last.mse,
      modeHalfTimes_s: summary.modeHalfTimes_s,
      learningEnergy_J: final.learningEnergy_J ?? 0,
      opAmpEnergy_J: spec.opAmpPowerPerEdge_W === null ? null : spec.opAmpPowerPerEdge_W * edges * last.t_s,
      inferencePowerPerEdge_W: powerPerEdge,
      inferenceEnergyPerEdge_J: final.energyPerEdge_J,
      ...(summary.classification ? { accuracyEnd: summary.classification.accuracyEnd } : {}),
    },
  };
}

export function failedRow(studyId: string, job: Job, error: string, origin: JobOrigin): StudyRow {
  return { ...base(studyId, job, origin), status: 'failed', metrics: null, error: error.slice(0, 2000) };
}
