/**
 * The clamping circuit on hardware: the board's clamp with its AD5220 potentiometer (η) and
 * the label line from the DAC. Physically:
 * - with a simulated network, the free output O the clamp follows comes from the test jig's
 *   16-bit DAC (the simulated network's output), in place of the network's voltage follower;
 *   with the network's bridge on this controller, the clamp follows the real free output;
 * - the clamp's output O^C is read back through the demux and ADC at the clamped copy's output
 *   node (node LSB ≈ 1.8 mV, averaged over the experiment's repeats): the only way a host
 *   sees what a real clamp did.
 * The label and the read are one command sequence, so a label written for a later step by the
 * supervisor cannot come between (the supervisor leaves the label line to this bridge).
 */
import { encodeDemux, nodeCount, outputNodes } from '@metatwin/contracts';
import type { ClampingPort } from '@metatwin/clamping';
import { JIG, POT_POSITIONS, ROUTE, jigCode } from '@metatwin/protocol';
import { ControllerError, type BoardAccess } from './board-access';

export class ClampingBridge implements ClampingPort {
  readonly drives = 'voltage' as const;
  private readonly clampedOutputs: number[];
  private readonly networkOnBoard: boolean;
  private label_V = 0;

  constructor(private readonly board: BoardAccess) {
    const exp = board.exp;
    const nodes = nodeCount(exp.network);
    this.clampedOutputs = outputNodes(exp).map((n) => encodeDemux('clamped', n, nodes));
    this.networkOnBoard = board.onBoard.has('edge-physics');
  }

  setWiper(_t_ns: number, position: number, positions: number): Promise<void> {
    if (positions !== POT_POSITIONS) throw new ControllerError(`the board's potentiometer has ${POT_POSITIONS} positions; the run asked for a wiper of ${positions}`);
    return this.board.exclusive(async () => {
      await this.board.request({ kind: 'potSet', position }, 'ack');
    });
  }

  setLabel(_t_ns: number, labels_V: ReadonlyArray<number>): void {
    // Written with the read that follows it (clamp), as one sequence.
    this.label_V = labels_V[0];
  }

  clamp(_t_ns: number, freeOutputs_V: ReadonlyArray<number>): Promise<ReadonlyArray<number>> {
    return this.board.exclusive(async () => {
      const b = this.board;
      await b.request({ kind: 'dacWrite', writes: [b.labelCode(this.label_V)] }, 'ack');
      // The board's clamp drives the clamped outputs and the ADC reads the board; O from the jig unless the network is here.
      const mask = ROUTE.clampedOutputsFromJig | ROUTE.clampInputFromJig | ROUTE.adcFromJig;
      await b.request({ kind: 'route', mask, flags: this.networkOnBoard ? 0 : ROUTE.clampInputFromJig }, 'ack');
      if (!this.networkOnBoard)
        await b.request({ kind: 'jigWrite', writes: freeOutputs_V.map((v, k) => ({ channel: JIG.clampInput + k, code: jigCode(JIG.clampInput + k, v) })) }, 'ack');
      const read = await b.scan(this.clampedOutputs);
      return read.map((r) => b.nodeVolts(r.nodeCode));
    });
  }
}
