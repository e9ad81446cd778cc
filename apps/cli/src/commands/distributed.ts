/**
 * A distributed run from the command line: the four services already listen on NATS; this
 * subscribes to the run's signals, asks the supervisor to start it, folds the signals into
 * result.json as they arrive, and returns when the supervisor says the run ended.
 */
import { NatsBus } from '@metatwin/bus';
import { SOURCES } from '@metatwin/contracts';
import type { Experiment, Progress, RunResult } from '@metatwin/experiments';
import { START_RUN } from '@metatwin/service-host';
import { RUN_FOLD_TYPES, RunAssembler, RunFailedError } from '@metatwin/services';
import { ErrorCode, JSONCodec } from 'nats';
import { UnavailableError, natsUnreachable } from '../usage';

export async function runDistributed(
  exp: Experiment,
  natsUrl: string,
  runId: string,
  clock: () => number,
  onProgress: (p: Progress) => void,
): Promise<RunResult & { run: string; mode: 'embedded' | 'distributed' }> {
  const started = clock();
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({ servers: natsUrl, service: 'observer', runId });
  } catch (err) {
    throw natsUnreachable(natsUrl, err);
  }
  const assembler = new RunAssembler();
  let acknowledged = 0;
  let lastReport = 0;
  const ended = new Promise<void>((resolve) => {
    bus.subscribe(
      SOURCES,
      (s) => {
        assembler.fold(s);
        if (s.type === 'GatesEvolved') acknowledged = s.data.step + 1;
        if (s.type === 'RunFinished' || s.type === 'RunAborted') resolve();
        const now = clock();
        if (now - lastReport > 0.1) {
          lastReport = now;
          const last = assembler.log[assembler.log.length - 1];
          onProgress({ step: acknowledged, steps: exp.schedule.steps, t_s: acknowledged * exp.schedule.t_h_s, mse: last ? last.mse : NaN, wall_s: now - started });
        }
      },
      // What the fold needs; the rest of the traffic stays between the services.
      RUN_FOLD_TYPES,
    );
  });
  try {
    await bus.settle();
    // Nest's NATS transport speaks {pattern, data, id} packets; a plain request in that shape reaches the handler.
    const codec = JSONCodec<{ response?: unknown; err?: unknown }>();
    const request = codec.encode({ pattern: START_RUN, data: { runId, experiment: exp, startedAt_ms: Date.now() }, id: runId } as never);
    const reply = await bus.connection.request(START_RUN, request, { timeout: 10_000 }).catch((err: unknown) => {
      const code = (err as { code?: unknown }).code;
      if (code === ErrorCode.NoResponders)
        throw new UnavailableError(`no supervisor answers on ${natsUrl} (${START_RUN}): start the four services (metatwin up --nats ${natsUrl})`);
      if (code === ErrorCode.Timeout) throw new UnavailableError(`the supervisor on ${natsUrl} did not answer ${START_RUN} within 10 s`);
      throw err;
    });
    const answer = codec.decode(reply.data);
    if (answer.err) throw new RunFailedError(`the supervisor refused the run: ${JSON.stringify(answer.err)}`, assembler);
    await ended;
    if (assembler.status !== 'finished') throw new RunFailedError(`run ${runId} ${assembler.status}: ${assembler.abortReason ?? ''}`, assembler);
    return assembler.result(runId, clock() - started);
  } finally {
    await bus.close();
  }
}
