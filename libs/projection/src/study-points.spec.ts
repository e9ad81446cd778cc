import type { StudyRow } from '@metatwin/studies';
import { MEASUREMENTS } from './schema';
import { STUDY_ERROR_MAX_CHARS, studyPoints } from './study-points';

const FINISHED = '2026-11-30T14:05:07.250Z';

const done: StudyRow = {
  study: 'scaling-a1b2c3',
  job: 'job-9f8e7d',
  params: { size: 8, topology: 'lattice', task: 'xor', seed: 2, eta: 0.5, warmStart: true },
  topology: 'lattice',
  task: 'xor',
  seed: 2,
  nodes: 64,
  edges: 112,
  status: 'done',
  metrics: {
    steps: 20_000,
    learning_s: 2,
    targetMse_V2: 1e-4,
    stepsToTarget: 12_000,
    timeToTarget_s: 1.2,
    mseStart_V2: 0.25,
    mseEnd_V2: 5e-5,
    modeHalfTimes_s: { E00: 0.1, E01: 0.35, E10: null, E11: 0.2 },
    learningEnergy_J: 3.5e-7,
    opAmpEnergy_J: null,
    inferencePowerPerEdge_W: 2e-6,
    inferenceEnergyPerEdge_J: 2e-12,
  },
  worker: 'rig-2/4711',
  wall_s: 41.5,
  version: '0.9.0',
  commit: 'abc1234',
  finishedAt: FINISHED,
};

describe('studyPoints', () => {
  it('makes one study point tagged by study, job, task, topology, status and worker, at finishedAt', () => {
    const points = studyPoints(done);
    expect(points).toHaveLength(1);
    const [p] = points;
    expect(p.measurement).toBe(MEASUREMENTS.study);
    expect(p.tags).toEqual({ study: 'scaling-a1b2c3', job: 'job-9f8e7d', task: 'xor', topology: 'lattice', status: 'done', worker: 'rig-2/4711' });
    expect(p.time_us).toBe(Date.UTC(2026, 10, 30, 14, 5, 7, 250) * 1000);
    expect(Number.isSafeInteger(p.time_us)).toBe(true);
  });

  it('holds every numeric metric, the network size, seed and wall time, and the numeric axis values as param_<name>', () => {
    expect(studyPoints(done)[0].fields).toEqual({
      failed: 0,
      nodes: 64,
      edges: 112,
      seed: 2,
      wall_s: 41.5,
      steps: 20_000,
      learning_s: 2,
      targetMse_V2: 1e-4,
      stepsToTarget: 12_000,
      timeToTarget_s: 1.2,
      mseStart_V2: 0.25,
      mseEnd_V2: 5e-5,
      modeHalfTime_E00_s: 0.1,
      modeHalfTime_E01_s: 0.35,
      modeHalfTime_E11_s: 0.2,
      learningEnergy_J: 3.5e-7,
      inferencePowerPerEdge_W: 2e-6,
      inferenceEnergyPerEdge_J: 2e-12,
      param_size: 8,
      param_seed: 2,
      param_eta: 0.5,
    });
  });

  it('leaves out what InfluxDB cannot hold: null metrics, non-finite numbers, string and boolean axes, empty tags', () => {
    const row: StudyRow = {
      ...done,
      worker: '',
      params: { size: Number.NaN, law: 'bare', clamp: false },
      metrics: { ...done.metrics!, stepsToTarget: null, timeToTarget_s: null, targetMse_V2: null, mseEnd_V2: Number.POSITIVE_INFINITY, modeHalfTimes_s: {}, accuracyEnd: 0.75 },
    };
    const [p] = studyPoints(row);
    expect(p.tags).not.toHaveProperty('worker');
    for (const key of ['stepsToTarget', 'timeToTarget_s', 'targetMse_V2', 'opAmpEnergy_J', 'mseEnd_V2', 'param_size', 'param_law', 'param_clamp'])
      expect(p.fields).not.toHaveProperty(key);
    expect(Object.keys(p.fields).filter((k) => k.startsWith('modeHalfTime_'))).toEqual([]);
    expect(p.fields.accuracyEnd).toBe(0.75);
    for (const value of Object.values(p.fields)) expect(typeof value === 'string' || Number.isFinite(value)).toBe(true);
    for (const value of Object.values(p.tags)) expect(value.length).toBeGreaterThan(0);
  });

  it('marks a failed job (failed = 1, status tag) with its reason and no metrics, the reason cut to a table cell', () => {
    const failed: StudyRow = { ...done, status: 'failed', metrics: null, error: 'Newton did not converge at step 17 (edge 3)' };
    const [p] = studyPoints(failed);
    expect(p.tags.status).toBe('failed');
    expect(p.fields).toEqual({ failed: 1, nodes: 64, edges: 112, seed: 2, wall_s: 41.5, param_size: 8, param_seed: 2, param_eta: 0.5, error: failed.error });
    const long = studyPoints({ ...failed, error: 'x'.repeat(5000) })[0].fields.error as string;
    expect(long).toHaveLength(STUDY_ERROR_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  it('gives the same point for the same row (projecting again is idempotent) and distinct times for a job run twice', () => {
    expect(studyPoints(done)).toEqual(studyPoints({ ...done }));
    const again = studyPoints({ ...done, finishedAt: '2026-11-30T15:00:00Z' })[0];
    expect(again.tags).toEqual(studyPoints(done)[0].tags);
    expect(again.time_us).not.toBe(studyPoints(done)[0].time_us);
  });

  it('refuses a row whose finishedAt is not a time, naming the job', () => {
    expect(() => studyPoints({ ...done, finishedAt: 'yesterday' })).toThrow(/job job-9f8e7d: finishedAt is not an ISO 8601 time: "yesterday"/);
  });
});
