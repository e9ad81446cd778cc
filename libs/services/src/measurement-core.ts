/**
 * Demux and ADC as a service: when the supervisor selects an address during a test step
 * and the edge physics reports what the buffers see for that datapoint (in either order),
 * the selected node and gate are read through the 8-bit ADC with averaging. Read-out noise
 * is drawn from a generator seeded by (seed, step, datapoint, address), so a sample does
 * not depend on the order messages happened to arrive in.
 */
import { decodeFloat64, type Signal } from '@metatwin/contracts';
import { adcConfig, type Experiment } from '@metatwin/experiments';
import { readGate, readNode, type AdcConfig } from '@metatwin/measurement';
import { Rng } from '@metatwin/physics';
import { Core } from './core';

interface Settled {
  readonly free_V: ReadonlyArray<number>;
  readonly gates: Float64Array;
}

interface RunState {
  readonly seed: number;
  readonly adc: AdcConfig;
  readonly pending: Map<string, number[]>;
  readonly settled: Map<string, Settled>;
  /**
   * Samples found in the log at a restart (step:datapoint:address): the same selection
   * arriving once more live is not read again. A selection the supervisor sends again later
   * (it lost the answer) is answered again.
   */
  readonly sampled: Set<string>;
}

export class MeasurementCore extends Core {
  readonly source = 'measurement' as const;
  readonly listensTo = ['supervisor', 'edge-physics'] as const;
  readonly accepts = ['RunCreated', 'DemuxSelected', 'NodesSettled', 'TestStepFinished', 'RunFinished', 'RunAborted'] as const;
  private readonly runs = new Map<string, RunState>();

  handle(s: Signal): void {
    const runId = s.meta.runId;
    if (s.type === 'RunCreated') {
      const exp = s.data.experiment as Experiment;
      this.runs.set(runId, { seed: exp.seed, adc: adcConfig(exp), pending: new Map(), settled: new Map(), sampled: new Set() });
      return;
    }
    const run = this.runs.get(runId);
    if (!run) return;
    switch (s.type) {
      case 'DemuxSelected': {
        const key = `${s.data.step}:${s.data.datapoint}`;
        const settled = run.settled.get(key);
        if (settled) this.sample(runId, s.meta.t_ns, run, s.data.step, s.data.datapoint, s.data.address, settled);
        else run.pending.set(key, [...(run.pending.get(key) ?? []), s.data.address]);
        return;
      }
      case 'NodesSettled': {
        const key = `${s.data.step}:${s.data.datapoint}`;
        const settled = { free_V: s.data.free_V, gates: decodeFloat64(s.data.gates) };
        run.settled.set(key, settled);
        for (const address of run.pending.get(key) ?? []) this.sample(runId, s.meta.t_ns, run, s.data.step, s.data.datapoint, address, settled);
        run.pending.delete(key);
        return;
      }
      case 'TestStepFinished':
        for (const key of [...run.settled.keys()]) if (key.startsWith(`${s.data.step}:`)) run.settled.delete(key);
        for (const key of [...run.sampled]) if (key.startsWith(`${s.data.step}:`)) run.sampled.delete(key);
        return;
      case 'RunFinished':
      case 'RunAborted':
        this.runs.delete(runId);
        return;
      default:
        return;
    }
  }

  /**
   * After a restart: fold the log (the supervisor's selections, the edge's settled nodes and
   * this service's own samples) and read what an open test still lacks.
   */
  recover(runId: string, logged: ReadonlyArray<Signal>): void {
    const created = logged.find((s) => s.type === 'RunCreated');
    if (!created) return;
    this.handle(created);
    const run = this.runs.get(runId) as RunState;
    for (const s of logged) if (s.type === 'AdcSampled') run.sampled.add(`${s.data.step}:${s.data.datapoint}:${s.data.address}`);
    for (const s of logged) if (s.type === 'DemuxSelected' || s.type === 'NodesSettled' || s.type === 'TestStepFinished') this.handle(s);
  }

  private sample(runId: string, t_ns: number, run: RunState, step: number, datapoint: number, address: number, settled: Settled): void {
    const key = `${step}:${datapoint}:${address}`;
    if (run.sampled.delete(key)) return;
    const nodes = settled.free_V.length;
    const node = address % nodes;
    const edge = address % settled.gates.length;
    const rng = run.adc.noiseSigma_V > 0 ? new Rng((run.seed * 2654435761 + step * 40503 + datapoint * 977 + address) >>> 0) : null;
    const n = readNode(run.adc, settled.free_V[node], rng);
    const g = readGate(run.adc, settled.gates[edge], rng);
    this.emit(runId, 'AdcSampled', t_ns, { step, datapoint, address, nodeCode: n.code, gateCode: g.code, repeats: n.repeats });
  }
}
