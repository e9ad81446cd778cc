/**
 * The measurement port as a mirror: every sample answers the same fixed codes (mid-scale:
 * node code 128, gate code 128, one repeat), whatever the network does, and every command is
 * kept in a journal for plumbing tests. The measurement never affects learning, so a run on
 * it trains exactly as the simulated one; only what it reports differs.
 */
import type { AdcCodes, MeasurementPort, SampleAt } from '../port';

export const MIRROR_CODES: AdcCodes = Object.freeze({ nodeCode: 128, gateCode: 128, repeats: 1 });

export type MeasurementCommandRecord =
  { readonly op: 'select'; readonly t_ns: number; readonly address: number } | { readonly op: 'sample'; readonly t_ns: number; readonly at: SampleAt };

export class MeasurementMirror implements MeasurementPort {
  readonly journal: MeasurementCommandRecord[] = [];

  select(t_ns: number, address: number): void {
    this.journal.push({ op: 'select', t_ns, address });
  }

  sample(t_ns: number, at: SampleAt): AdcCodes {
    this.journal.push({ op: 'sample', t_ns, at });
    return MIRROR_CODES;
  }
}
