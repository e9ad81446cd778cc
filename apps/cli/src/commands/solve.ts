import { parseArgs } from 'node:util';
import { InputFileError, parseJsonText, readInputFile } from '@metatwin/experiments';
import { CircuitFileError, parseCircuit, solveCircuit } from '@metatwin/physics';
import { UsageError } from '../usage';

/** `metatwin solve --network FILE`: prints the operating point as JSON. */
export function solveCommand(argv: string[], write: (s: string) => void): number {
  const { values } = parseArgs({ args: argv, options: { network: { type: 'string' } }, strict: true, allowPositionals: false });
  const file = values.network;
  if (!file) throw new UsageError('solve needs --network FILE');
  let text: string;
  try {
    text = readInputFile(file, 'circuit');
  } catch (err) {
    // What the file is (a directory, a device, too large), never what it holds.
    if (err instanceof InputFileError && err.code === undefined) throw new UsageError(err.message);
    throw new UsageError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  // A syntax error by line and column: V8's own message quotes the text around it.
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new UsageError(`${file}: not valid JSON (${parsed.problem})`);
  const json = parsed.value;
  try {
    const solution = solveCircuit(parseCircuit(json));
    write(
      JSON.stringify({
        status: solution.status,
        voltages: solution.voltages,
        currents: solution.currents,
        power: solution.power,
        iterations: solution.iterations,
        residual_A: solution.residual_A,
        unconnected: solution.unconnected,
      }) + '\n',
    );
    return solution.status === 'converged' ? 0 : 1;
  } catch (err) {
    if (err instanceof CircuitFileError || err instanceof RangeError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}
