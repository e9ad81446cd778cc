/**
 * `npm run bench`: prints each benchmark with its goal and the ratio to it.
 * Options: --quick (fewer steps, for a smoke run); --only SECTION (physics, services,
 * eventlog, influx, hil, scale, studies, load, fidelity; repeatable) runs only those sections.
 */
import { XOR_BENCH_CARDS, benchXorSteps, type StepBench } from './physics.bench';
import { bareStepLoop, presetExperiment, runPreset, seedSweep } from './experiments.bench';
import { benchServices } from './services.bench';
import { benchInflux } from './influx.bench';
import { benchEventLog } from './eventlog.bench';
import { benchHil } from './hil.bench';
import { benchScale, scalePoint } from './scale.bench';
import { benchStudies } from './studies.bench';
import { benchLoad } from './load.bench';
import { benchFidelity, benchPower } from './fidelity.bench';
import { testSteps } from '@metatwin/supervisor';

const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 1e4 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits));

function row(b: StepBench): string {
  return `${b.label.padEnd(26)} ${String(b.edges).padStart(6)} edges  ${fmt(b.stepsPerSecond).padStart(9)} steps/s  ${fmt(b.microsecondsPerStep).padStart(8)} µs/step  ${b.newtonPerSolve.toFixed(2)} Newton/solve  (${b.steps} steps in ${b.wall_s.toFixed(3)} s)`;
}

function presetTests(exp: ReturnType<typeof presetExperiment>): number {
  return testSteps(exp.schedule).length;
}

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  // One size of the scale section, in a process of its own (its peak RSS): prints the point as JSON.
  if (argv[0] === '--scale-point') {
    process.stdout.write(JSON.stringify(scalePoint(argv[1] as 'lattice' | 'random-regular', Number(argv[2]), quick)) + '\n');
    return 0;
  }
  const SECTIONS = ['physics', 'services', 'eventlog', 'influx', 'hil', 'scale', 'studies', 'load', 'fidelity'];
  const only = argv.flatMap((a, i) => (argv[i - 1] === '--only' ? [a] : []));
  const unknown = only.filter((x) => !SECTIONS.includes(x));
  if (unknown.length > 0) {
    process.stderr.write(`bench: --only takes ${SECTIONS.join(', ')}; got ${unknown.join(', ')}\n`);
    return 2;
  }
  const runs = (section: string): boolean => only.length === 0 || only.includes(section);
  const out = (s: string): void => void process.stdout.write(s + '\n');
  out(`metatwin benchmarks — node ${process.version}, one core, ${new Date().toISOString()}`);
  out('');
  if (runs('physics')) await benchPhysics(out, quick);
  if (runs('services')) {
    out('## Services: distributed steps/s, recording to JetStream, replay');
    await benchServices(out, quick);
    out('');
  }
  if (runs('eventlog')) {
    out('## Event log: the default run recorded, runs over 50 runs, start-up with 50 finished runs');
    await benchEventLog(out, quick);
    out('');
  }
  if (runs('influx')) {
    out('## InfluxDB: projection points/s, slowdown of a distributed run');
    await benchInflux(out, quick);
    out('');
  }
  if (runs('hil')) {
    out('## Hardware in the loop: the I/O-controller protocol over TCP to metatwin emulate');
    await benchHil(out, quick);
    out('');
  }
  if (runs('studies')) {
    out('## Studies: 2 workers against 1, queueing overhead per job (a private nats-server, workers as processes)');
    await benchStudies(out, quick);
    out('');
  }
  if (runs('fidelity')) {
    out("## Fidelity: XOR from the paper's start (V+ = 0.33 V, gates 2.5 V), each mechanism on and off, 5 seeds, 20 s");
    await benchFidelity(out, quick);
    // METATWIN_FIDELITY_ROWS picks some of the ablation's rows; the power table then waits for a whole run.
    if (!process.env.METATWIN_FIDELITY_ROWS) {
      out("### Inference power against the paper's (151 µW XOR, 345 ± 72 µW the family), per card");
      await benchPower(out, quick);
    }
    out('');
  }
  if (runs('load')) {
    out(
      '## Load: per-step latency of one run and of 16 concurrent runs on one set of services, and a run under a flood of 20,000 invalid messages in 2 s (a private nats-server with roles)',
    );
    await benchLoad(out, quick);
    out('');
  }
  if (runs('scale')) {
    out('## Scale: time per training step, Newton and BiCGSTAB iterations, set-up and peak RSS by network size, lattices and random graphs (each size its own process)');
    await benchScale(out, quick);
    out('');
  }
  return 0;
}

/** The 32-edge step, the one run path against the bare loop, and the seed sweep. */
async function benchPhysics(out: (s: string) => void, quick: boolean): Promise<void> {
  out('## Physics: 32-edge twin, XOR configuration (step = free + clamped solve + gate update over t_h)');
  const goal = 100_000;
  for (const [label, card] of XOR_BENCH_CARDS) {
    benchXorSteps(card, 20_000, label); // warm the JIT
    const b = benchXorSteps(card, quick ? 20_000 : 100_000, label);
    out(`${row(b)}  goal ≥ ${goal.toLocaleString('en-US')} steps/s: ×${(b.stepsPerSecond / goal).toFixed(2)}`);
  }
  out('');
  out('## One run path: the xor preset through the four deciders (in-process bus, recording off) against the bare physics step loop');
  const exp = presetExperiment('xor');
  // Warm the JIT on both (the first pass of a process runs slow), then alternate the two, seven
  // rounds, and compare medians: single passes on this VM vary by ±10 %.
  for (let warm = 0; warm < 2; warm++) {
    await runPreset('xor');
    bareStepLoop(exp);
  }
  const viaDeciders: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < (quick ? 3 : 7); round++) {
    const r = await runPreset('xor');
    viaDeciders.push(r.steps / r.wall_s);
    const b = bareStepLoop(exp);
    bare.push(b.steps / b.wall_s);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const deciders = median(viaDeciders);
  const loop = median(bare);
  out(
    `xor preset via deciders: ${viaDeciders.map((x) => fmt(x)).join(' / ')} steps/s (median ${fmt(deciders)}; 100,000 steps and ${presetTests(exp)} test steps); goal ≥ 100,000: ×${(deciders / 100_000).toFixed(2)}`,
  );
  out(`bare step loop (same experiment, trainStep only): ${bare.map((x) => fmt(x)).join(' / ')} steps/s (median ${fmt(loop)})`);
  out(`deciders cost ×${(loop / deciders).toFixed(2)} of the bare loop; goal ≤ ×1.5`);
  const sweep = await seedSweep(
    'xor',
    Array.from({ length: quick ? 3 : 10 }, (_, i) => i + 1),
  );
  for (const row of sweep.rows) out(`  ${row}`);
  out(`xor learned (truth table, MSE ≥ 10× lower, E00 first and E11 last) in ${sweep.learned} of ${sweep.total} seeds`);
  out('');
}
