/**
 * A free solve from a cold start on a learned network whose gates sit at the diode floor in
 * places: before the maximum principle's box, Newton threw an output node ~50 V out, where
 * its channels stayed cut off, and gave up after 100 iterations (the iris preset aborted
 * at 21.5 s of learning). Now the solve converges with every node between the bulk's 0 V and
 * the highest held voltage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALD1106_FITTED, squareLattice, uniformTransistors } from '@metatwin/physics';
import { TwinNetwork } from './twin';

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'iris-gates-near-cutoff.json'), 'utf8')) as { gates_V: number[] };
// The iris preset's placement: inputs 0, 36, 4, 18; rails 22 (0.11 V) and 32 (0.40 V); three (+, −) outputs.
const HELD_NODES = [0, 36, 4, 18, 22, 32];
const HELD_V = [0.3251953125, 0.2056640625, 0.312890625, 0.4130859375, 0.1107421875, 0.40078125];

it('a cold free solve near cut-off converges, inside the box of the held voltages and 0 V', () => {
  const network = squareLattice(8, 8, true);
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(network.edgeCount, ALD1106_FITTED),
      clampedTransistors: uniformTransistors(network.edgeCount, ALD1106_FITTED),
      heldNodes: HELD_NODES,
      outputNodes: [50, 54, 2, 6, 9, 11],
      clampDrives: 'voltage',
      warmStartSlots: 1,
    },
    fixture.gates_V,
  );
  expect(fixture.gates_V.filter((g) => g <= 1.1)).toHaveLength(5);
  const nodes = new Float64Array(network.nodeCount);
  const r = twin.measure(HELD_V, undefined, nodes);
  expect(r.status).toBe('converged');
  expect(r.iterations).toBeLessThan(100);
  for (const v of nodes) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(Math.max(...HELD_V));
  }
});
