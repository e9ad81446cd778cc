/**
 * The four subsystems as separate OS processes over a real nats-server with JetStream:
 * a distributed XOR run gives the same result as the embedded one, the JetStream log
 * replays the live state, and malformed records in the log go to the dead-letter subject
 * while the services keep running.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec } from 'nats';
import { CONTRACT_VERSION, SIGNAL_TYPES, SUBJECTS, type DeadLetter } from '@metatwin/contracts';
import { planFromInput, presetInput, type RunResult } from '@metatwin/experiments';
import { JetStreamEventLog, decodeBatch } from '@metatwin/eventlog';
import { credentialsEnv, serviceHealth, startNats, startService, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';

const root = join(__dirname, '..', '..');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...credentialsEnv(), ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** result.json without wall time, run id and mode: the numbers every path must agree on. */
function numbers(r: RunResult & { run?: string; mode?: string }): string {
  return JSON.stringify({ ...r, wall_s: 0, run: undefined, mode: undefined });
}

/**
 * All four imperfections at once (as in test/experiments/determinism.spec.ts): XOR for 6,000
 * steps of 100 µs with mismatch, learning offsets, read-out noise, and edge 5 cut open at 0.5 s.
 */
const ALL_FOUR = {
  mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 },
  learningOffsetSigma_V2: 1e-4,
  readoutNoiseSigma_V: 0.002,
  damage: [{ edge: 5, kind: 'open', at_s: 0.5 }],
};

describe('distributed: four services over NATS', () => {
  let nats: NatsServer;
  let services: ServiceProcess[];

  beforeAll(async () => {
    nats = await startNats();
    services = await startServices({ natsUrl: nats.url });
  });

  afterAll(async () => {
    await stopServices(services ?? []);
    await nats?.stop();
  });

  it('runs XOR for 2,000 steps with the same gates and outputs as the embedded run, and the log replays it', () => {
    const dist = mkdtempSync(join(tmpdir(), 'mt-dist-'));
    const emb = mkdtempSync(join(tmpdir(), 'mt-emb-'));
    const d = cli(['run', 'xor', '--steps', '2000', '--bus', nats.url, '--out', dist, '--no-report']);
    expect(d.status).toBe(0);
    const e = cli(['run', 'xor', '--steps', '2000', '--out', emb, '--no-report']);
    expect(e.status).toBe(0);
    const distributed = JSON.parse(readFileSync(join(dist, 'result.json'), 'utf8')) as RunResult & { run: string; mode: string };
    const embedded = JSON.parse(readFileSync(join(emb, 'result.json'), 'utf8')) as RunResult;
    expect(distributed.mode).toBe('distributed');
    expect(distributed.final.gates_V).toEqual(embedded.final.gates_V);
    expect(distributed.log).toEqual(embedded.log);

    // The JetStream log, written by the services themselves, rebuilds the live state.
    const runs = cli(['runs', '--log', nats.url, '--json']);
    expect(runs.status).toBe(0);
    const row = (JSON.parse(runs.stdout) as Array<{ run: string; status: string; steps: number; mode: string }>).find((r) => r.run === distributed.run);
    expect(row).toMatchObject({ status: 'finished', steps: 2000, mode: 'distributed' });
    for (const entry of [distributed.log[3], distributed.log[8], distributed.log[distributed.log.length - 1]]) {
      const replay = cli(['replay', distributed.run, '--at', String(entry.t_s), '--log', nats.url]);
      expect(replay.status).toBe(0);
      const state = JSON.parse(replay.stdout) as { stepsApplied: number; gates_V: number[] };
      expect(state.stepsApplied).toBe(entry.step);
      expect(state.gates_V).toEqual(entry.gates_V);
    }
    const verify = cli(['replay', distributed.run, '--verify', '--log', nats.url]);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout).verify).toMatchObject({ stepsRedriven: 2000, mismatchedSnapshots: 0 });
  });

  it('a middle message deleted from a finished run’s stream: verify fails naming it, runs says incomplete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-dist-'));
    expect(cli(['run', 'xor', '--steps', '1500', '--bus', nats.url, '--out', dir, '--no-report']).status).toBe(0);
    const { run } = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { run: string };
    const row = (): { status: string; damage?: string } | undefined =>
      (JSON.parse(cli(['runs', '--log', nats.url, '--json']).stdout) as Array<{ run: string; status: string; damage?: string }>).find((r) => r.run === run);
    // The supervisor writes the entry once RunFinished is stored: a moment after the CLI saw it.
    for (let i = 0; i < 50 && row()?.status !== 'finished'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(row()).toEqual(expect.objectContaining({ status: 'finished' }));
    // Damage done by the one role allowed to delete from the log.
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('admin') });
    const jsm = await nc.jetstreamManager();
    const subject = `mtlog.${run}.edge-physics`;
    const info = await jsm.streams.info('METATWIN_LOG', { subjects_filter: subject });
    const middle = await jsm.streams.getMessage('METATWIN_LOG', { seq: Math.floor((info.state.first_seq + info.state.last_seq) / 2), next_by_subj: subject } as never);
    const batch = decodeBatch(middle.data, 'the deleted message');
    await jsm.streams.deleteMessage('METATWIN_LOG', middle.seq);
    await nc.close();
    const verify = cli(['replay', run, '--verify', '--log', nats.url]);
    expect(verify.status).toBe(1);
    expect(JSON.parse(verify.stdout).verify.problems).toContain(`edge-physics: sequence numbers ${batch.firstSeq}..${batch.lastSeq} are missing`);
    expect(row()).toEqual(expect.objectContaining({ status: 'incomplete (finished)', damage: expect.stringMatching(/^edge-physics (\d+) → (\d+)$/) }));
  });

  it('runs XOR with mismatch, learning offsets, read-out noise and damage all on with the embedded run’s result.json numbers, and the log verifies', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mt-exp-')), 'all-four.json');
    writeFileSync(file, JSON.stringify({ preset: 'xor', schedule: { steps: 6000 }, imperfections: ALL_FOUR }));
    const dist = mkdtempSync(join(tmpdir(), 'mt-dist-'));
    const emb = mkdtempSync(join(tmpdir(), 'mt-emb-'));
    const d = cli(['run', file, '--bus', nats.url, '--out', dist, '--no-report']);
    expect(d.status).toBe(0);
    const e = cli(['run', file, '--out', emb, '--no-report'], { METATWIN_LOG_DIR: join(emb, 'log') });
    expect(e.status).toBe(0);
    const distributed = JSON.parse(readFileSync(join(dist, 'result.json'), 'utf8')) as RunResult & { run: string; mode: string };
    const embedded = JSON.parse(readFileSync(join(emb, 'result.json'), 'utf8')) as RunResult & { run: string; mode: string };
    expect(distributed.mode).toBe('distributed');
    expect(embedded.mode).toBe('embedded');
    expect(distributed.experiment.imperfections).toEqual(ALL_FOUR);
    // Field by field first, for a readable failure; then every number, bit for bit.
    expect(distributed.log).toEqual(embedded.log);
    expect(distributed.final).toEqual(embedded.final);
    expect(numbers(distributed)).toBe(numbers(embedded));
    // The damage is in the final figures of the service processes too.
    expect(distributed.final.conductance_S[5]).toBe(0);
    expect(distributed.final.powerPerEdge_W[5]).toBe(0);

    // Re-driving the recorded inputs through a fresh edge physics gives every step's gates.
    const verify = cli(['replay', distributed.run, '--verify', '--log', nats.url]);
    expect(verify.stderr).toBe('');
    expect(JSON.parse(verify.stdout).verify).toMatchObject({ stepsRedriven: 6000, mismatchedSnapshots: 0, largestDifference_V: 0 });
    expect(verify.status).toBe(0);
  });

  it('ends a run whose test-step solve fails with RunAborted, aborted.json and exit 1, as the embedded path does', () => {
    const out = mkdtempSync(join(tmpdir(), 'mt-dist-abort-'));
    const file = join(out, 'experiment.json');
    // So conductive a transistor that no DC solve converges: the first test (step 0) fails.
    writeFileSync(file, JSON.stringify({ preset: 'regression', schedule: { steps: 200 }, transistor: { k_AperV2: 1e300 } }));
    const r = cli(['run', file, '--bus', nats.url, '--out', out, '--no-report']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/run aborted: .*test at step 0: datapoint 0: free solve/);
    const aborted = JSON.parse(readFileSync(join(out, 'aborted.json'), 'utf8')) as { status: string; reason: string };
    expect(aborted).toMatchObject({ status: 'aborted' });
    expect(aborted.reason).toMatch(/test at step 0/);
  });

  it('quarantines a poison run (a stored RunCreated the services cannot build): RunFaulted with the reason, other runs go on, a restart skips it', async () => {
    const plan = planFromInput(presetInput('xor'), { steps: 100 }, { readText: () => '' });
    if (plan.kind !== 'run') throw new Error('xor is one run');
    // Straight into the log (the start RPC would refuse it): the network's edges are not a list.
    const poison = { ...plan.experiment, network: { nodes: 16, edges: 'x' } };
    // Credentials that may write the supervisor's subjects: the server lets this through, the services must cope.
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('supervisor') });
    const record = [SIGNAL_TYPES.indexOf('RunCreated'), 1, 0, { contract: CONTRACT_VERSION, experiment: poison, mode: 'distributed' }];
    await nc
      .jetstream()
      .publish('mtlog.poison-run.supervisor', new TextEncoder().encode(JSON.stringify({ runId: 'poison-run', source: 'supervisor', firstSeq: 1, lastSeq: 1, records: [record] })));
    await nc.close();
    const log = await JetStreamEventLog.connect({ servers: nats.url, security: nats.security('observer') });
    let faults: Array<{ service: string; reason: string }> = [];
    for (let i = 0; i < 100 && !faults.some((f) => f.service === 'edge-physics'); i++) {
      faults = [];
      for await (const b of log.read('poison-run'))
        for (const r of b.records as Array<[number, number, number, { service: string; reason: string }]>) if (r[0] === SIGNAL_TYPES.indexOf('RunFaulted')) faults.push(r[3]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await log.close();
    expect(faults).toContainEqual({ service: 'edge-physics', reason: expect.stringMatching(/^RunCreated: .+/) });
    // The services still serve other runs, and the edge physics restarts cleanly, leaving the poison run alone.
    const dir = mkdtempSync(join(tmpdir(), 'mt-after-poison-'));
    expect(cli(['run', 'xor', '--steps', '300', '--bus', nats.url, '--out', dir, '--no-report']).status).toBe(0);
    const edge = services.findIndex((x) => x.name === 'edge-physics');
    services[edge].process.kill('SIGKILL');
    services[edge] = startService('edge-physics', { natsUrl: nats.url });
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = await serviceHealth(nats.url, 'edge-physics', 500).then(
        (h) => h.ok,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    expect(services[edge].output).toMatch(/run poison-run stays quarantined/);
    expect(cli(['run', 'xor', '--steps', '300', '--bus', nats.url, '--out', dir, '--no-report']).status).toBe(0);
  });

  it('answers malformed signals on the dead-letter subject and keeps running', async () => {
    // Malformed records under the supervisor's own credentials: permissions let them through, validation must not.
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('supervisor') });
    const codec = JSONCodec<DeadLetter>();
    const letters: DeadLetter[] = [];
    const sub = nc.subscribe(SUBJECTS.allDeadLetters, { callback: (_e, m) => letters.push(codec.decode(m.data)) });
    await nc.flush();
    // Forged batches straight into the event log's stream (log-first: that is where services listen).
    const type = (name: string): number => SIGNAL_TYPES.indexOf(name as never);
    const batch = (firstSeq: number, records: unknown[]): Uint8Array =>
      new TextEncoder().encode(JSON.stringify({ runId: 'bad-run', source: 'supervisor', firstSeq, lastSeq: firstSeq + records.length - 1, records }));
    const js = nc.jetstream();
    await js.publish('mtlog.bad-run.supervisor', batch(1, [[type('DacWritten'), 1, 0, { writes: [{ channel: 0, code: 300 }] }]]));
    await js.publish('mtlog.bad-run.supervisor', batch(2, [[type('DacWritten'), 2, 0, { writes: [{ channel: 300, code: 3 }] }]]));
    await js.publish('mtlog.bad-run.supervisor', new TextEncoder().encode('{"runId":"bad-run","records":'));
    await js.publish('mtlog.bad-run.supervisor', batch(3, [[type('DemuxSelected'), 3, 0, { step: 0, datapoint: 0, address: null }]]));
    const deadline = Date.now() + 5000;
    while (!letters.some((l) => l.service === 'measurement' && l.reason.startsWith('record 3')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    await nc.close();
    const reasons = letters.map((l) => `${l.service}: ${l.reason}`);
    expect(reasons).toContain('edge-physics: record 1: DacWritten: writes[0].code must be an integer in 0..255, got 300');
    expect(reasons).toContain('clamping: record 1: DacWritten: writes[0].code must be an integer in 0..255, got 300');
    expect(reasons).toContain('edge-physics: record 2: DacWritten: writes[0].channel must be an integer in 0..255, got 300');
    expect(reasons.some((r) => /^edge-physics: stream METATWIN_LOG seq \d+: not JSON/.test(r))).toBe(true);
    expect(reasons).toContain('measurement: record 3: DemuxSelected: address must be an integer in 0..1048576, got null');
    for (const name of ['edge-physics', 'clamping', 'measurement', 'supervisor'] as const) {
      const h = await serviceHealth(nats.url, name);
      expect(h.ok).toBe(true);
    }
    expect((await serviceHealth(nats.url, 'edge-physics')).deadLetters).toBeGreaterThanOrEqual(3);
  });
});
