/**
 * What a run ends with, computed from the model at the final gates: inference power and
 * energy per edge, and each edge's conductance, averaged over the datapoints.
 */
import { DEFAULT_EQUILIBRATION_TIME_S, DRAIN_GDS, level1Drain, newDrainResult } from '@metatwin/physics';
import type { Rig } from './build';
import type { RunResult } from './result';

/** Inference power, energy and conductance per edge at the final gates, averaged over datapoints. */
export function finalState(rig: Pick<Rig, 'twin' | 'network' | 'held_V'>): Omit<RunResult['final'], 'outputs'> {
  const { twin, network } = rig;
  const m = network.edgeCount;
  const perEdge = new Float64Array(m);
  const powerPerEdge = new Float64Array(m);
  const conductance = new Float64Array(m);
  const power_W: number[] = [];
  const drain = newDrainResult();
  const perEdgeK = new Float64Array(m);
  // Cold starts: the final figures must not depend on the run's warm-start history, so a
  // replay or another process computes them bit for bit the same.
  twin.resetWarmStart();
  rig.held_V.forEach((held, d) => {
    twin.selectSlot(d);
    twin.infer(held);
    power_W.push(twin.freePower(perEdge));
    freeConductances(twin, network, perEdgeK, drain);
    for (let e = 0; e < m; e++) {
      powerPerEdge[e] += perEdge[e] / rig.held_V.length;
      conductance[e] += perEdgeK[e] / rig.held_V.length;
    }
  });
  const meanPower = power_W.reduce((s, p) => s + p, 0) / power_W.length;
  // Edges whose two ends are both held (inputs, rails): their current is set by the sources
  // alone, whatever the network learns — the paper's power figures are dominated by them.
  const held = new Set(twin.heldNodes);
  const heldEdges: number[] = [];
  for (let e = 0; e < m; e++) if (held.has(network.edgeA[e]) && held.has(network.edgeB[e])) heldEdges.push(e);
  return {
    gates_V: Array.from(twin.gates_V),
    power_W,
    powerPerEdge_W: Array.from(powerPerEdge),
    energyPerEdge_J: (meanPower * DEFAULT_EQUILIBRATION_TIME_S) / m,
    conductance_S: Array.from(conductance),
    heldEdges,
  };
}

/**
 * Chord conductance I/ΔV of each edge of the free copy at its current slot voltages (S);
 * an edge with no drop gets its zero-bias slope ∂I/∂ΔV.
 */
export function freeConductances(twin: Rig['twin'], network: Rig['network'], out: Float64Array = new Float64Array(network.edgeCount), drain = newDrainResult()): Float64Array {
  const t = twin.freeTransistors;
  const currents = twin.currents('free');
  const v = twin.freeVoltages_V;
  for (let e = 0; e < network.edgeCount; e++) {
    const dv = v[network.edgeA[e]] - v[network.edgeB[e]];
    if (Math.abs(dv) > 1e-9) out[e] = currents[e] / dv;
    else {
      const vs = v[network.edgeA[e]];
      level1Drain(vs, vs, twin.gates_V[e], t.vto_V[e], t.beta_AperV2[e], t.gamma_sqrtV, t.phi_V, t.lambda_perV, drain);
      out[e] = drain[DRAIN_GDS];
    }
  }
  return out;
}
