/**
 * The supervisor on hardware: its port calls carried out by the I/O controller over the
 * link — DAC writes latched as codes, learn-enable pulses timed on the controller, the
 * clamp's potentiometer, the demux address. Physically this is the Arduino driving the board,
 * with the rest of the run wherever the rig puts it: with a simulated network the board is
 * driven as a shadow and the run learns in the twin from the codes the controller reports.
 *
 * With other subsystems' bridges on the same controller, the lines they own are theirs: the
 * network's bridge drives the held nodes and learn-enable, the clamp's the label line (each
 * at the moment its step needs them, while the supervisor runs steps ahead). A pulse carries
 * the run's tag and its step, so the controller applies it once even if sent again.
 *
 * The codes are the DAC's transfer law (the same as the simulated supervisor's); the hardware
 * has only codes, so a write is always quantised, whatever the experiment's setting.
 */
import { PAPER_DAC, WIPER_POSITIONS, dacCode, wiperPosition, type DacRequest, type DacWrite, type SupervisorPort, type WiperSetting } from '@metatwin/supervisor';
import { ControllerError, type BoardAccess } from './board-access';
import { addPulse, recordPulse, type PulseTiming } from './pulse-timing';

export type { PulseTiming } from './pulse-timing';

export class SupervisorBridge implements SupervisorPort {
  readonly pulses: PulseTiming = { count: 0, overMean_us: 0, overMax_us: 0 };
  /** The network's bridge is on this controller: it drives the held nodes and learn-enable at its step's moment. */
  private readonly networkOnBoard: boolean;
  /** The clamp's bridge is on this controller: it drives the label line when it clamps. */
  private readonly clampOnBoard: boolean;
  private readonly t_h_ns: number;

  constructor(private readonly board: BoardAccess) {
    this.networkOnBoard = board.onBoard.has('edge-physics');
    this.clampOnBoard = board.onBoard.has('clamping');
    this.t_h_ns = Math.round(board.exp.schedule.t_h_s * 1e9);
  }

  async writeDac(_t_ns: number, writes: ReadonlyArray<DacRequest>): Promise<ReadonlyArray<DacWrite>> {
    const { targets } = this.board;
    const coded = writes.map(({ channel, volts }) => {
      const target = targets[channel];
      if (target === undefined) throw new RangeError(`DAC channel ${channel} is not wired (the patch map has ${targets.length} channels)`);
      return { channel, code: dacCode(PAPER_DAC, target, volts) };
    });
    // The supervisor runs steps ahead of the network; a line another bridge here owns is set by that bridge, in step.
    const mine = coded.filter(({ channel }) => (targets[channel].kind === 'label' ? !this.clampOnBoard : !this.networkOnBoard));
    if (mine.length > 0) await this.board.exclusive(() => this.board.request({ kind: 'dacWrite', writes: mine }, 'ack'));
    return coded;
  }

  async pulseLearnEnable(t_ns: number, duration_ns: number): Promise<void> {
    if (this.networkOnBoard) return;
    const duration_us = Math.round(duration_ns / 1000);
    const index = Math.round(t_ns / this.t_h_ns);
    const command = { kind: 'learnPulse', duration_us, run: this.board.tag, index } as const;
    const done = await this.board.exclusive(() => this.board.request(command, 'pulseDone'));
    if (!done.applied) return; // applied before this process restarted: its timing was counted then
    // A pulse the controller cut short (its fail-safe) applied less learning than the log says.
    if (done.duration_us < duration_us)
      throw new ControllerError(`learn-enable was on ${done.duration_us} µs of the ${duration_us} µs asked (the controller's fail-safe cut the pulse)`);
    addPulse(this.pulses, done.duration_us - duration_us);
    recordPulse(this.board.tag, duration_us, done.duration_us);
  }

  async setPotentiometer(_t_ns: number, eta: number): Promise<WiperSetting> {
    const position = wiperPosition(eta, WIPER_POSITIONS);
    await this.board.exclusive(() => this.board.request({ kind: 'potSet', position }, 'ack'));
    return { position, positions: WIPER_POSITIONS };
  }

  async selectDemux(_t_ns: number, address: number): Promise<void> {
    await this.board.exclusive(() => this.board.request({ kind: 'demuxSelect', address }, 'ack'));
  }
}
