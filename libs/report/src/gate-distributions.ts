/**
 * Figure 3 for a network too large to draw edge by edge (issue 12: 80,000 edges would make a
 * page of 400,000 marks no one can read): per span of training, the distribution of the mean
 * dG/dt over the edges, and the distribution of the final measured conductance. The data are
 * binned here, so the page's size does not grow with the network.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { gateSpans } from './network-figure';

/** Networks with more edges than this get the distributions instead of the drawing. */
export const NETWORK_DRAWING_MAX_EDGES = 2000;

const BINS = 40;

export interface BinRow {
  readonly panel: string;
  readonly from: number;
  readonly to: number;
  readonly edges: number;
}

/** `values` in BINS equal bins over [lo, hi] (finite values only; the last bin closed). */
export function binned(panel: string, values: ArrayLike<number>, lo: number, hi: number): BinRow[] {
  const counts = new Array<number>(BINS).fill(0);
  const width = (hi - lo) / BINS;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  }
  return counts.map((edges, k) => ({ panel, from: lo + k * width, to: lo + (k + 1) * width, edges }));
}

function extentAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  return m > 0 ? m : 1;
}

export function gateDistributionSpec(run: RunResult): TopLevelSpec {
  const datasets: Record<string, BinRow[]> = {};
  const panels = gateSpans(run).map((span, k) => {
    const extent = extentAbs(span.rate_Vps); // each span its own range: early spans change far faster
    datasets[`span${k}`] = binned(span.title, span.rate_Vps, -extent, extent);
    return histogram(`span${k}`, span.title, 'mean dG/dt over the span (V/s)');
  });
  const conductance_mS = run.final.conductance_S.map((g) => g * 1e3);
  datasets.final = binned('final conductance', conductance_mS, 0, extentAbs(conductance_mS));
  panels.push(histogram('final', 'final conductance', 'K = I/ΔV (mS)'));
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', datasets, hconcat: panels, spacing: 24 };
}

function histogram(data: string, title: string, axis: string): Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number] {
  return {
    title: { text: title, fontSize: 12, fontWeight: 'normal' },
    width: 220,
    height: 160,
    data: { name: data },
    mark: { type: 'rect', color: '#4c78a8' },
    encoding: {
      x: { field: 'from', type: 'quantitative', title: axis, axis: { format: '.2~g' } },
      x2: { field: 'to' },
      y: { field: 'edges', type: 'quantitative', title: 'edges' },
    },
  };
}
