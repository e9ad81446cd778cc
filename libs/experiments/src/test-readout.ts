/**
 * What a test step read, from its ADC samples: each datapoint's output (the output node's
 * code in volts; O+ − O− when differential), the MSE against the labels and the signed error
 * modes. The run fold (result.json) and the InfluxDB projection read a test this one way.
 */
import { errorModes, meanSquaredError, type ModeBasis } from '@metatwin/analysis';
import type { AdcConfig } from '@metatwin/measurement';
import { fromCode } from '@metatwin/physics';

export interface TestReading {
  readonly outputs: number[];
  readonly mse: number;
  readonly modes: Record<string, number>;
}

/**
 * @param codeOf the mean node code sampled for (datapoint, demux address), undefined when missing
 * @param where names the test in the error a missing sample raises
 */
export function readTest(
  adc: AdcConfig,
  addresses: ReadonlyArray<number>,
  labels: ReadonlyArray<number>,
  basis: ModeBasis,
  codeOf: (datapoint: number, address: number) => number | undefined,
  where: string,
): TestReading {
  const volts = (d: number, address: number): number => {
    const code = codeOf(d, address);
    if (code === undefined) throw new Error(`${where}: no ADC sample of datapoint ${d} at address ${address}`);
    return fromCode(adc.node, code);
  };
  const outputs = labels.map((_, d) => (addresses.length === 2 ? volts(d, addresses[0]) - volts(d, addresses[1]) : volts(d, addresses[0])));
  return { outputs, mse: meanSquaredError(outputs, labels), modes: errorModes(basis, outputs, labels) };
}
