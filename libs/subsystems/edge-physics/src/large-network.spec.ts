import { DEFAULT_LEVEL1, squareLattice, uniformTransistors, type SolverOptions } from '@metatwin/physics';
import { TwinNetwork, type ClampPort } from './twin';

// Coupled Learning's clamp with η = 1 (the clamping subsystem tests its own laws).
const clampToLabel: ClampPort = {
  drives: 'voltage',
  clamp: (_o, l, out) => out.set(l),
};

/** A 30×30 periodic lattice (1,800 edges, 897 free nodes) with a regression task's placement. */
function latticeTwin(linear: SolverOptions['linear']): TwinNetwork {
  const network = squareLattice(30, 30, true);
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      clampedTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      heldNodes: [0, 465, 15], // input, V− = 0, V+ = 0.45
      outputNodes: [480],
      clampDrives: 'voltage',
      warmStartSlots: 4,
      solver: { linear },
    },
    Array.from({ length: network.edgeCount }, (_, e) => 2.5 + 0.05 * Math.sin(e)),
  );
  twin.learnEnabled = true;
  return twin;
}

function train(twin: TwinNetwork, from: number, to: number): void {
  for (let s = from; s < to; s++) {
    const d = s % 4;
    twin.selectSlot(d);
    const x = (0.45 * d) / 3;
    const r = twin.trainStep([x, 0, 0.45], [0.1 + 0.5 * x * x], clampToLabel, 100e-6);
    if (!r.ok) throw new Error(`step ${s}: ${JSON.stringify(r.failed)}`);
  }
}

describe('a large network (the multigrid path)', () => {
  it('trains to the same gates as the exact direct path, to 1e-9 V over 100 steps on a 30×30 lattice', () => {
    const direct = latticeTwin('direct');
    const auto = latticeTwin('auto');
    train(direct, 0, 100);
    train(auto, 0, 100);
    let largest = 0;
    for (let e = 0; e < direct.gates_V.length; e++) largest = Math.max(largest, Math.abs(direct.gates_V[e] - auto.gates_V[e]));
    expect(largest).toBeLessThanOrEqual(1e-9);
    // Learning moved them, or the comparison would say nothing.
    expect(Math.max(...direct.gates_V.map((g, e) => Math.abs(g - (2.5 + 0.05 * Math.sin(e)))))).toBeGreaterThan(1e-5);
  });

  it.each([2, 20])(
    'resumes from a snapshot at step %i to the same bits as the run that took it (the predictor, the preconditioner and the first-solve starts begin afresh there)',
    (at) => {
      const whole = latticeTwin('multigrid');
      train(whole, 0, at);
      const gates = Float64Array.from(whole.gates_V);
      const warm = whole.warmStarts();
      const learned_ns = Math.round(whole.time_s * 1e9);
      train(whole, at, 40);

      const resumed = latticeTwin('multigrid');
      resumed.restoreState(gates, warm, learned_ns);
      train(resumed, at, 40);
      expect(Array.from(resumed.gates_V)).toEqual(Array.from(whole.gates_V));
      expect(Array.from(resumed.warmStarts())).toEqual(Array.from(whole.warmStarts()));
    },
  );
});
