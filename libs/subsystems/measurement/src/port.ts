/**
 * The measurement hardware (paper Appendix E.4): unity-gain buffers on every node and gate,
 * demultiplexers chosen by a 5-bit address, and an 8-bit ADC that reads the selected node
 * and gate, averaging a number of repeats. Time is passed in; a call may complete later.
 */
import type { Completion } from '@metatwin/contracts';

/** Which sample this is: the test step, the datapoint on the DAC, the demux address. */
export interface SampleAt {
  readonly step: number;
  readonly datapoint: number;
  readonly address: number;
}

/**
 * What the buffers present at the selected node and gate (V). This is the simulated analog
 * wire, taken from the edge physics' NodesSettled; real hardware reads its own inputs and
 * ignores it.
 */
export interface AnalogInput {
  readonly node_V: number;
  readonly gate_V: number;
}

/** Mean ADC codes over the repeats (fractional when averaged). */
export interface AdcCodes {
  readonly nodeCode: number;
  readonly gateCode: number;
  readonly repeats: number;
}

export interface MeasurementPort {
  /** Put an address on the demultiplexers. */
  select(t_ns: number, address: number): Completion<void>;
  /** Convert the selected node and gate. */
  sample(t_ns: number, at: SampleAt, analog: AnalogInput): Completion<AdcCodes>;
}

export type MeasurementCall = { readonly op: 'sample'; readonly t_ns: number; readonly at: SampleAt; readonly analog: AnalogInput };

export type MeasurementResult = { readonly type: 'Sampled'; readonly t_ns: number; readonly at: SampleAt; readonly codes: AdcCodes };

export function executeMeasurementCall(port: MeasurementPort, c: MeasurementCall): Completion<MeasurementResult> {
  switch (c.op) {
    case 'sample': {
      const selected = port.select(c.t_ns, c.at.address);
      return selected instanceof Promise ? selected.then(() => sample(port, c)) : sample(port, c);
    }
    default: {
      const never: never = c.op;
      throw new Error(`unknown measurement call ${String(never)}`);
    }
  }
}

function sample(port: MeasurementPort, c: MeasurementCall): Completion<MeasurementResult> {
  const codes = port.sample(c.t_ns, c.at, c.analog);
  return codes instanceof Promise ? codes.then((x) => sampled(c, x)) : sampled(c, codes);
}

const sampled = (c: MeasurementCall, codes: AdcCodes): MeasurementResult => ({ type: 'Sampled', t_ns: c.t_ns, at: c.at, codes });
