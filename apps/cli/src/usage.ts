export const USAGE = `metatwin — digital twin of a self-learning transistor network

Usage:
  metatwin run <preset|file> [--out DIR] [--seed N] [--steps N | --time SECONDS] [--no-report] [--bus in-process]
                                    run an experiment embedded (presets: xor, regression,
                                    regression-family; files: JSON or YAML experiments)
  metatwin solve --network FILE     DC operating point of one network copy (JSON in, JSON out)
  metatwin help                     this text

solve reads {"nodes", "edges", "gates", "fixed", "transistor"} (see README) and prints
{"status", "voltages", "currents", "power", "iterations", "residual_A"}.
Exit codes: 0 ok, 1 the solve did not converge, 2 bad input.`;

/** An error caused by the user's input: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
