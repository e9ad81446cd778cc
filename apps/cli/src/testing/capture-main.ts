/** The CLI's main run in process with its output captured: how the CLI's specs call a command. */
import { main } from '../main';

export async function captureMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}
