/**
 * Physics benchmarks (issue 2): training steps per second of the paper's 32-edge twin in
 * the XOR configuration and Newton iterations per solve (larger networks: scale.bench.ts).
 * A step = free solve + clamped solve + gate update over t_h = 100 µs.
 */
import { ALD1106_FITTED, DEFAULT_LEVEL1, Rng, paperLattice, uniformTransistors, type Level1Params } from '@metatwin/physics';
import { TwinNetwork } from '@metatwin/edge-physics';
import { clampCircuit } from '@metatwin/clamping';

export interface StepBench {
  readonly label: string;
  readonly edges: number;
  readonly steps: number;
  readonly wall_s: number;
  readonly stepsPerSecond: number;
  readonly newtonPerSolve: number;
  readonly microsecondsPerStep: number;
}

// XOR placement from the published reproduction (node = 4·row + col).
const XOR = { v1: 0, v2: 2, vMinus: 3, vPlus: 7, oPlus: 1, oMinus: 13 };
const XOR_INPUTS = [
  [0, 0],
  [0, 0.45],
  [0.45, 0],
  [0.45, 0.45],
];
const XOR_LABELS = [0, -0.087, -0.087, 0];

export function benchXorSteps(card: Level1Params, steps: number, label: string): StepBench {
  const network = paperLattice();
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(32, card),
      clampedTransistors: uniformTransistors(32, card),
      heldNodes: [XOR.v1, XOR.v2, XOR.vMinus, XOR.vPlus],
      outputNodes: [XOR.oPlus, XOR.oMinus],
      clampDrives: 'voltage',
      warmStartSlots: 4,
    },
    new Array(32).fill(2.5),
  );
  const clamp = clampCircuit({ kind: 'differential', eta: 0.5 });
  const rng = new Rng(1);
  const held = XOR_INPUTS.map(([a, b]) => [a, b, 0.11, 0.33]);
  const labels = XOR_LABELS.map((l) => [l]);
  twin.learnEnabled = true;
  let iterations = 0;
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < steps; s++) {
    const d = rng.integer(4);
    twin.selectSlot(d);
    const r = twin.trainStep(held[d], labels[d], clamp, 100e-6);
    if (!r.ok) throw new Error(`step ${s}: ${r.failed?.copy} solve ${r.failed?.result.status}`);
    iterations += r.newtonIterations;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { label, edges: 32, steps, wall_s: wall, stepsPerSecond: steps / wall, newtonPerSolve: iterations / (2 * steps), microsecondsPerStep: (wall / steps) * 1e6 };
}

export const XOR_BENCH_CARDS: ReadonlyArray<[string, Level1Params]> = [
  ['default card (bare law)', DEFAULT_LEVEL1],
  ['ALD1106 fitted card', ALD1106_FITTED],
];
