/**
 * The embedded runner: a pool of worker threads runs a study's jobs and hands back one row per
 * job; the local study keeps them (a done row wins over a failed one, a job written twice
 * counts once), writes the tables, and remembers a cancel.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandStudy, parseStudy, type StudyRow } from '@metatwin/studies';
import { LocalStudy } from './local-study';
import { runPool } from './pool';

const expanded = expandStudy(parseStudy({ name: 'pool', base: { preset: 'xor', schedule: { steps: 50, testEvery: 25 } }, axes: { seed: 'range(1, 4)' } }), {
  readText: () => '',
});

describe('the embedded pool', () => {
  it('runs every job on its threads and hands back one done row each', async () => {
    const rows: StudyRow[] = [];
    await runPool(expanded.id, expanded.jobs, expanded.study.metrics, { threads: 2, onRow: (r) => rows.push(r) });
    expect(rows.map((r) => r.job).sort()).toEqual(expanded.jobs.map((j) => j.id).sort());
    for (const r of rows) {
      expect(r.status).toBe('done');
      expect(r.metrics?.steps).toBe(50);
      expect(r.metrics?.learningEnergy_J).toBeGreaterThan(0);
      expect(r.worker).toMatch(/\/[01]$/); // host/pid/thread
    }
    // Seeds differ, so the runs do.
    expect(new Set(rows.map((r) => r.metrics?.mseEnd_V2)).size).toBeGreaterThan(1);
  }, 120_000);

  it('hands out nothing once asked to stop', async () => {
    const rows: StudyRow[] = [];
    await runPool(expanded.id, expanded.jobs, expanded.study.metrics, { threads: 1, onRow: (r) => rows.push(r), stopRequested: () => true });
    expect(rows).toEqual([]);
  });
});

describe('a study on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'metatwin-local-study-'));
  const row = (job: string, status: 'done' | 'failed', worker: string): StudyRow => ({
    study: expanded.id,
    job,
    params: {},
    topology: 'network',
    task: 'base',
    seed: 1,
    nodes: 16,
    edges: 32,
    status,
    metrics: null,
    ...(status === 'failed' ? { error: 'diverged' } : {}),
    worker,
    wall_s: 1,
    version: '0',
    commit: 'x',
    finishedAt: '2026-12-06T00:00:00.000Z',
  });

  it('keeps one row per job, a done one over a failed one, and writes both tables', () => {
    const local = new LocalStudy(expanded.id, root);
    local.define(expanded, { name: 'pool' });
    expect(local.definition().jobs).toHaveLength(3);
    local.append(row('a', 'failed', 'w1'));
    local.append(row('a', 'done', 'w2'));
    local.append(row('a', 'failed', 'w3'));
    local.append(row('b', 'done', 'w1'));
    local.append(row('b', 'done', 'w2'));
    expect(local.rows().map((r) => [r.job, r.status, r.worker])).toEqual([
      ['a', 'done', 'w2'],
      ['b', 'done', 'w1'],
    ]);
    const { jsonl, csv } = local.writeTables();
    expect(readFileSync(jsonl, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readFileSync(csv, 'utf8').split('\r\n')[0]).toMatch(/^study,job,task,topology,seed,nodes,edges,status/);
  });

  it('remembers a cancel until the study runs again, and names a bad id or an unknown study', () => {
    const local = new LocalStudy(expanded.id, root);
    local.cancel('test');
    expect(local.cancelled).toBe(true);
    local.uncancel();
    expect(local.cancelled).toBe(false);
    expect(() => new LocalStudy('../etc', root)).toThrow('study id must be letters, digits, - and _');
    expect(() => new LocalStudy('nothing-here', root).definition()).toThrow('no study "nothing-here"');
  });
});
