/** The same experiment and seed give bit-identical result.json numbers (apart from wall time). */
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

function withoutWall(r: RunResult): unknown {
  return { ...r, wall_s: 0 };
}

describe('determinism', () => {
  it('repeats a run bit for bit; a different seed differs', () => {
    const a = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const b = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const c = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '4', '--no-report']).result;
    expect(JSON.stringify(withoutWall(a))).toBe(JSON.stringify(withoutWall(b)));
    expect(JSON.stringify(c.final.gates_V)).not.toBe(JSON.stringify(a.final.gates_V));
  });
});
