/**
 * The measurement on hardware: the board's demultiplexers and 8-bit ADC. Physically:
 * - with a simulated network, the node and gate the ADC converts come from the test jig's
 *   probes (16-bit DACs driven with the simulated network's voltages), in place of the demux;
 * - with the network's bridge on this controller, the ADC reads the real network, with the
 *   test datapoint put back on the DAC first (the supervisor runs ahead to the next
 *   datapoint), in one command sequence with the read.
 * The address is selected in the same command as the read (adcScan), so no other command
 * moves the demux between.
 */
import { type Completion } from '@metatwin/contracts';
import type { AdcCodes, AnalogInput, MeasurementPort, SampleAt } from '@metatwin/measurement';
import { JIG, ROUTE, jigCode } from '@metatwin/protocol';
import type { BoardAccess } from './board-access';

export class MeasurementBridge implements MeasurementPort {
  private readonly networkOnBoard: boolean;

  constructor(private readonly board: BoardAccess) {
    this.networkOnBoard = board.onBoard.has('edge-physics');
  }

  select(): Completion<void> {
    // Selected with the read (adcScan).
  }

  sample(_t_ns: number, at: SampleAt, analog: AnalogInput): Promise<AdcCodes> {
    return this.board.exclusive(async () => {
      const b = this.board;
      let writes: Array<{ channel: number; code: number }> = [];
      if (this.networkOnBoard) {
        // The test datapoint on the DACs in the same command as the read: another host (the
        // network's service) may have moved on to the next datapoint meanwhile.
        const exp = b.exp;
        writes = b.heldCodes([...exp.dataset.inputs[at.datapoint], ...exp.roles.rails.map((r) => r.volts)]);
        await b.request({ kind: 'route', mask: ROUTE.adcFromJig, flags: 0 }, 'ack');
      } else {
        await b.request({ kind: 'route', mask: ROUTE.adcFromJig, flags: ROUTE.adcFromJig }, 'ack');
        const probes = [
          { channel: JIG.nodeProbe, code: jigCode(JIG.nodeProbe, analog.node_V) },
          { channel: JIG.gateProbe, code: jigCode(JIG.gateProbe, analog.gate_V) },
        ];
        await b.request({ kind: 'jigWrite', writes: probes }, 'ack');
      }
      const [read] = await b.scan([at.address], writes);
      return { nodeCode: read.nodeCode, gateCode: read.gateCode, repeats: b.repeats };
    });
  }
}
