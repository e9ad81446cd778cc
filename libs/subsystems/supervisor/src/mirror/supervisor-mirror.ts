/**
 * The supervisor's port as a mirror (ros2_control's mock components): every command is
 * echoed — each DAC write comes back with the exact volts asked for (an ideal DAC) and the
 * code the paper's DAC would latch, the wiper lands exactly on η — and kept in a journal,
 * so a plumbing test sees every command that crossed the seam.
 */
import type { Experiment } from '@metatwin/contracts';
import { PAPER_DAC, dacCode, type PatchTarget } from '../dac';
import type { DacRequest, DacWrite, SupervisorPort, WiperSetting } from '../port';
import { patchMap } from '../wiring';

export type SupervisorCommandRecord =
  | { readonly op: 'writeDac'; readonly t_ns: number; readonly writes: ReadonlyArray<DacRequest> }
  | { readonly op: 'pulseLearnEnable'; readonly t_ns: number; readonly duration_ns: number }
  | { readonly op: 'setPotentiometer'; readonly t_ns: number; readonly eta: number }
  | { readonly op: 'selectDemux'; readonly t_ns: number; readonly address: number };

/** Positions of the mirror's wiper: fine enough that η = k/1000 is exact. */
const MIRROR_WIPER_POSITIONS = 1001;

export class SupervisorMirror implements SupervisorPort {
  readonly journal: SupervisorCommandRecord[] = [];
  private readonly targets: ReadonlyArray<PatchTarget>;

  constructor(exp: Experiment) {
    this.targets = patchMap(exp);
  }

  writeDac(t_ns: number, writes: ReadonlyArray<DacRequest>): ReadonlyArray<DacWrite> {
    this.journal.push({ op: 'writeDac', t_ns, writes });
    return writes.map(({ channel, volts }) => ({ channel, code: dacCode(PAPER_DAC, this.targets[channel], volts), volts }));
  }

  pulseLearnEnable(t_ns: number, duration_ns: number): void {
    this.journal.push({ op: 'pulseLearnEnable', t_ns, duration_ns });
  }

  setPotentiometer(t_ns: number, eta: number): WiperSetting {
    this.journal.push({ op: 'setPotentiometer', t_ns, eta });
    return { position: Math.round(eta * (MIRROR_WIPER_POSITIONS - 1)), positions: MIRROR_WIPER_POSITIONS };
  }

  selectDemux(t_ns: number, address: number): void {
    this.journal.push({ op: 'selectDemux', t_ns, address });
  }
}
