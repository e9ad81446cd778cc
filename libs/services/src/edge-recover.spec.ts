/** A restarted edge physics rebuilds its state from the log bit for bit, warm starts included. */
import type { Signal } from '@metatwin/contracts';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { EdgePhysicsCore } from './edge-physics-core';
import { runEmbedded } from './embedded';

function xor(steps: number): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

function stateOf(core: EdgePhysicsCore, runId: string, datapoints: number): number[][] {
  const twin = core.twinOf(runId);
  if (!twin) throw new Error('no twin');
  const rows = [Array.from(twin.gates_V), [twin.time_s]];
  const slot = twin.slotIndex;
  for (let d = 0; d < datapoints; d++) {
    twin.selectSlot(d);
    rows.push(Array.from(twin.freeVoltages_V), Array.from(twin.clampedVoltages_V));
  }
  twin.selectSlot(slot);
  return rows;
}

describe('EdgePhysicsCore.recover', () => {
  it.each([1234, 1000])('after %i applied steps gives the live gates, learning time and every warm start', async (k) => {
    // Reference: an uninterrupted edge after k steps, read at the end of a k-step run.
    const ref = new EdgePhysicsCore(() => undefined);
    const refSignals: Signal[] = [];
    await runEmbedded(xor(k), { runId: 'rec', recorder: { record: (s) => refSignals.push(s), flush: async () => undefined } });
    for (const s of refSignals) if (s.meta.source !== 'edge-physics' && s.type !== 'RunFinished') ref.handle(s);
    // The log of a longer run, cut where the edge died: supervisor signals beyond it, the
    // edge's own only up to step k − 1.
    const long: Signal[] = [];
    await runEmbedded(xor(3000), { runId: 'rec', recorder: { record: (s) => long.push(s), flush: async () => undefined } });
    const logged = long.filter((s) => s.type !== 'RunFinished' && (s.meta.source !== 'edge-physics' || (s.type === 'GatesEvolved' && s.data.step < k)));
    const restarted = new EdgePhysicsCore(() => undefined);
    expect(restarted.recover('rec', logged)).toBe(k);
    expect(restarted.recoveryMismatches).toBe(0);
    expect(stateOf(restarted, 'rec', 4)).toEqual(stateOf(ref, 'rec', 4));
  });
});
