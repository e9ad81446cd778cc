import { closeControllerLinks } from '@metatwin/bridges';
import { attachCommand, cancelCommand, resultCommand, resumeCommand } from './commands/control';
import { calibrateCommand } from './commands/calibrate';
import { compareCommand } from './commands/compare';
import { damageCommand } from './commands/damage';
import { emulateCommand } from './commands/emulate';
import { influxCommand } from './commands/influx';
import { natsAuthCommand } from './commands/nats-auth';
import { pruneCommand } from './commands/prune';
import { replayCommand } from './commands/replay';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { solveCommand } from './commands/solve';
import { studyCommand, workerCommand } from './commands/study';
import { upCommand } from './commands/up';
import { watchCommand } from './commands/watch';
import { USAGE, UnavailableError, UsageError } from './usage';

type Command = (argv: string[], write: (s: string) => void) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  runs: runsCommand,
  replay: replayCommand,
  watch: watchCommand,
  solve: solveCommand,
  up: upCommand,
  emulate: emulateCommand,
  compare: compareCommand,
  calibrate: calibrateCommand,
  damage: damageCommand,
  influx: influxCommand,
  result: resultCommand,
  attach: attachCommand,
  cancel: cancelCommand,
  resume: resumeCommand,
  prune: (argv, write) => pruneCommand(argv, write),
  study: studyCommand,
  worker: workerCommand,
  'nats-auth': natsAuthCommand,
};

/** Entry point: returns the process exit code. */
export async function main(
  argv: string[],
  write: (s: string) => void = (s) => process.stdout.write(s),
  writeError: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    writeError(`metatwin: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest, write);
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      writeError(`metatwin ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof UnavailableError) {
      writeError(`metatwin ${name}: ${err.message}\n`);
      return 3;
    }
    throw err;
  } finally {
    // A run with a subsystem on its hardware bridge opened links to controllers.
    await closeControllerLinks();
  }
}

/** node:util parseArgs errors carry an ERR_PARSE_ARGS_* code (checked by code, not class, across realms). */
function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
