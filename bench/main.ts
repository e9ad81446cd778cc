/**
 * `npm run bench`: prints each benchmark with its goal and the ratio to it.
 * Options: --quick (fewer steps, for a smoke run).
 */
import { XOR_BENCH_CARDS, benchLattice, benchXorSteps, type StepBench } from './physics.bench';
import { runPreset, seedSweep } from './experiments.bench';
import { benchServices } from './services.bench';
import { benchInflux } from './influx.bench';

const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 1e4 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits));

function row(b: StepBench): string {
  return `${b.label.padEnd(26)} ${String(b.edges).padStart(6)} edges  ${fmt(b.stepsPerSecond).padStart(9)} steps/s  ${fmt(b.microsecondsPerStep).padStart(8)} µs/step  ${b.newtonPerSolve.toFixed(2)} Newton/solve  (${b.steps} steps in ${b.wall_s.toFixed(3)} s)`;
}

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const out = (s: string): void => void process.stdout.write(s + '\n');
  out(`metatwin benchmarks — node ${process.version}, one core, ${new Date().toISOString()}`);
  out('');
  out('## Physics: 32-edge twin, XOR configuration (step = free + clamped solve + gate update over t_h)');
  const goal = 100_000;
  for (const [label, card] of XOR_BENCH_CARDS) {
    benchXorSteps(card, 20_000, label); // warm the JIT
    const b = benchXorSteps(card, quick ? 20_000 : 100_000, label);
    out(`${row(b)}  goal ≥ ${goal.toLocaleString('en-US')} steps/s: ×${(b.stepsPerSecond / goal).toFixed(2)}`);
  }
  out('');
  out('## Experiments: the full xor preset (10 s of learning, 100,000 steps, test steps and logging included)');
  runPreset('xor'); // warm the JIT
  const xor = runPreset('xor');
  out(`xor preset: ${xor.steps.toLocaleString('en-US')} steps in ${xor.wall_s.toFixed(3)} s wall = ${Math.round(xor.steps / xor.wall_s).toLocaleString('en-US')} steps/s, ${xor.log.length} test steps; goal < 1 s: ×${(1 / xor.wall_s).toFixed(2)} faster than needed`);
  const sweep = seedSweep('xor', Array.from({ length: quick ? 3 : 10 }, (_, i) => i + 1));
  for (const row of sweep.rows) out(`  ${row}`);
  out(`xor learned (truth table, MSE ≥ 10× lower, E00 first and E11 last) in ${sweep.learned} of ${sweep.total} seeds`);
  out('');
  out('## Services: distributed steps/s, recording to JetStream, replay');
  await benchServices(out, quick);
  out('');
  out('## InfluxDB: projection points/s, slowdown of a distributed run');
  await benchInflux(out, quick);
  out('');
  out('## Physics: time per training step on L×L periodic lattices');
  for (const side of [4, 8, 16, 32, 64, 100]) {
    const edges = 2 * side * side;
    // At least three passes over the 8 datapoints, so most solves are warm as in training.
    const steps = Math.max(24, Math.min(20_000, Math.round((quick ? 2e5 : 1e6) / (edges * Math.log2(edges + 1)))));
    const b = benchLattice(side, steps);
    out(row(b));
  }
  return 0;
}
