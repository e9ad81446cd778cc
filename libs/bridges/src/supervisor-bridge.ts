/**
 * The supervisor on hardware: its port calls carried out by the I/O controller over the
 * link — DAC writes latched as codes, learn-enable pulses timed on the controller, the
 * clamp's potentiometer, the demux address. Physically this is the Arduino driving the board,
 * with the rest of the run wherever the rig puts it: with a simulated network the board is
 * driven as a shadow and the run learns in the twin from the codes the controller reports.
 *
 * The codes are the DAC's transfer law (the same as the simulated supervisor's); the hardware
 * has only codes, so a write is always quantised, whatever the experiment's setting.
 */
import type { Experiment } from '@metatwin/contracts';
import type { Command, Reply } from '@metatwin/protocol';
import {
  PAPER_DAC,
  WIPER_POSITIONS,
  dacCode,
  patchMap,
  wiperPosition,
  type DacRequest,
  type DacWrite,
  type PatchTarget,
  type SupervisorPort,
  type WiperSetting,
} from '@metatwin/supervisor';
import type { ControllerLink } from './link';

/** The controller refused a command or did it otherwise than asked: the run cannot go on as recorded. */
export class ControllerError extends Error {
  override readonly name = 'ControllerError';
}

/** The controller's answer, or a ControllerError naming the command and its reason. */
export async function expectReply<K extends Reply['kind']>(link: ControllerLink, command: Command, kind: K): Promise<Extract<Reply, { kind: K }>> {
  const reply = await link.request(command);
  if (reply.kind === kind) return reply as Extract<Reply, { kind: K }>;
  if (reply.kind === 'error') throw new ControllerError(`the controller at ${link.transport.describe} refused ${command.kind} (${reply.code}): ${reply.message}`);
  throw new ControllerError(`the controller at ${link.transport.describe} answered ${command.kind} with ${reply.kind}, not ${kind}`);
}

/** Learn pulses as the controller timed them: how far they ran over what was asked (µs). */
export interface PulseTiming {
  count: number;
  overMean_us: number;
  overMax_us: number;
}

export class SupervisorBridge implements SupervisorPort {
  readonly pulses: PulseTiming = { count: 0, overMean_us: 0, overMax_us: 0 };
  /** What each DAC channel drives (its converter: the label line's is bipolar when differential). */
  private readonly targets: ReadonlyArray<PatchTarget>;

  constructor(
    private readonly link: ControllerLink,
    exp: Experiment,
  ) {
    this.targets = patchMap(exp);
  }

  async writeDac(_t_ns: number, writes: ReadonlyArray<DacRequest>): Promise<ReadonlyArray<DacWrite>> {
    const coded = writes.map(({ channel, volts }) => {
      const target = this.targets[channel];
      if (target === undefined) throw new RangeError(`DAC channel ${channel} is not wired (the patch map has ${this.targets.length} channels)`);
      return { channel, code: dacCode(PAPER_DAC, target, volts) };
    });
    await expectReply(this.link, { kind: 'dacWrite', writes: coded }, 'ack');
    return coded;
  }

  async pulseLearnEnable(_t_ns: number, duration_ns: number): Promise<void> {
    const duration_us = Math.round(duration_ns / 1000);
    const done = await expectReply(this.link, { kind: 'learnPulse', duration_us }, 'pulseDone');
    // A pulse the controller cut short (its fail-safe) applied less learning than the log says.
    if (done.duration_us < duration_us)
      throw new ControllerError(`learn-enable was on ${done.duration_us} µs of the ${duration_us} µs asked (the controller's fail-safe cut the pulse)`);
    const over = done.duration_us - duration_us;
    const p = this.pulses;
    p.count++;
    p.overMean_us += (over - p.overMean_us) / p.count;
    if (over > p.overMax_us) p.overMax_us = over;
  }

  async setPotentiometer(_t_ns: number, eta: number): Promise<WiperSetting> {
    const position = wiperPosition(eta, WIPER_POSITIONS);
    await expectReply(this.link, { kind: 'potSet', position }, 'ack');
    return { position, positions: WIPER_POSITIONS };
  }

  async selectDemux(_t_ns: number, address: number): Promise<void> {
    await expectReply(this.link, { kind: 'demuxSelect', address }, 'ack');
  }
}
