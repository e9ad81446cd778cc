/**
 * Reading a test step of a multi-output task: outputs per datapoint and output (O+ − O− of
 * each pair), MSE over the datapoints trained on and apart over those held out, accuracy as
 * "the highest output is the class", and no error modes (they are of one output's error).
 */
import { PAPER_ADC } from '@metatwin/measurement';
import { NODE_ADC, fromCode, toCode } from '@metatwin/physics';
import { accuracy, confusionMatrix, readTest, type TestTask } from './test-readout';

describe('a multi-output test step', () => {
  // Two classes, differential: output k of datapoint d is read at addresses 2k (+) and 2k + 1 (−).
  const labels = [0.05, -0.05, -0.05, 0.05, 0.05, -0.05];
  const task: TestTask = { adc: PAPER_ADC, addresses: [10, 11, 20, 21], labels, outputs: 2, differential: true, trainingPoints: 2, basis: { names: [], vectors: [] } };
  // Node voltages per datapoint and address: datapoint 0 read as class 0, 1 as class 0 (wrong), 2 as class 0 (right, held out).
  const nodes: Record<string, number> = {
    '0:10': 0.3,
    '0:11': 0.25,
    '0:20': 0.2,
    '0:21': 0.22,
    '1:10': 0.3,
    '1:11': 0.2,
    '1:20': 0.25,
    '1:21': 0.2,
    '2:10': 0.3,
    '2:11': 0.2,
    '2:20': 0.2,
    '2:21': 0.2,
  };
  const code = (d: number, a: number): number | undefined => (nodes[`${d}:${a}`] === undefined ? undefined : toCode(NODE_ADC, nodes[`${d}:${a}`]));
  const read = (d: number, a: number): number => fromCode(NODE_ADC, code(d, a) as number);

  it('reads O+ − O− per output, scores the trained-on and held-out datapoints apart, and gives no modes', () => {
    const r = readTest(task, code, 'test step 0');
    const expected = [0, 1, 2].flatMap((d) => [read(d, 10) - read(d, 11), read(d, 20) - read(d, 21)]);
    expect(r.outputs).toEqual(expected);
    const sq = (i: number): number => (expected[i] - labels[i]) ** 2;
    expect(r.mse).toBeCloseTo((sq(0) + sq(1) + sq(2) + sq(3)) / 4, 15);
    expect(r.heldOutMse).toBeCloseTo((sq(4) + sq(5)) / 2, 15);
    expect(r.accuracy).toBe(0.5);
    expect(r.heldOutAccuracy).toBe(1);
    expect(r.modes).toEqual({});
  });

  it('counts a confusion matrix [true][read] and accuracy over a range of datapoints', () => {
    const outputs = [0.1, 0, 0, 0.2, 0.1, 0, 0, 0, 0.3];
    const truth = [1, 0, 0, 0, 1, 0, 0, 0, 1]; // classes 0, 1, 2; datapoint 1 is read as 0
    expect(confusionMatrix(outputs, truth, 3, 0, 3)).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(accuracy(outputs, truth, 3, 0, 3)).toBeCloseTo(2 / 3, 15);
    expect(accuracy(outputs, truth, 3, 2, 3)).toBe(1);
  });

  it('names a missing sample', () => {
    expect(() => readTest(task, (d, a) => (d === 2 && a === 21 ? undefined : code(d, a)), 'test step 7')).toThrow('test step 7: no ADC sample of datapoint 2 at address 21');
  });
});
