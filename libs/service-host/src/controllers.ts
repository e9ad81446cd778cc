/** Request/reply over Nest's NATS transport: health for every service, run start for the supervisor. */
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { CONTRACT_VERSION, SUBJECTS, isRunToken, type Experiment } from '@metatwin/contracts';
import { ExperimentError, parseExperiment } from '@metatwin/experiments';
import { AdapterError, resolveRig, type SupervisorHost } from '@metatwin/services';
import { withMissing } from '@metatwin/supervisor';
import { ServiceRuntime, type Health } from './runtime';

export const START_RUN = 'mt.rpc.supervisor.start';
/** A user cancels a run: nothing more is sent, it ends RunCancelled. */
export const CANCEL_RUN = 'mt.rpc.supervisor.cancel';
/** A cancelled or interrupted run goes on: every service takes it on again from the log. */
export const RESUME_RUN = 'mt.rpc.supervisor.resume';

export function healthController(pattern: string): new (runtime: ServiceRuntime) => { health(): Health } {
  @Controller()
  class HealthController {
    constructor(private readonly runtime: ServiceRuntime) {}

    @MessagePattern(pattern)
    health(): Health {
      return this.runtime.health();
    }
  }
  return HealthController;
}

@Controller()
export class SupervisorController {
  constructor(private readonly runtime: ServiceRuntime) {}

  @MessagePattern(SUBJECTS.health('supervisor'))
  health(): Health {
    return this.runtime.health();
  }

  @MessagePattern(START_RUN)
  start(@Payload() request: { runId?: unknown; experiment?: unknown; startedAt_ms?: unknown }): { runId: string } {
    const runId = request?.runId;
    if (typeof runId !== 'string' || !isRunToken(runId)) throw new RpcException(`runId must be 1–128 characters of A–Z a–z 0–9 _ -, got ${JSON.stringify(runId)}`);
    // The experiment enters here: parsed and typed once (a resolved experiment parses to itself).
    let exp: Experiment;
    try {
      exp = parseExperiment(request.experiment, {
        readText: () => {
          throw new Error('an experiment sent over NATS names no files: send it resolved');
        },
      });
      resolveRig(exp, {});
    } catch (err) {
      if (err instanceof ExperimentError || err instanceof AdapterError) throw new RpcException(`experiment: ${err.message}`);
      throw err;
    }
    const host = this.runtime.host;
    if (host?.source !== 'supervisor') throw new RpcException('this service is not the supervisor');
    const startedAt_ms = request.startedAt_ms ?? Date.now();
    if (typeof startedAt_ms !== 'number' || !Number.isSafeInteger(startedAt_ms) || startedAt_ms < 0)
      throw new RpcException(`startedAt_ms must be a non-negative integer (ms since the epoch), got ${JSON.stringify(startedAt_ms)}`);
    const supervisor = host as SupervisorHost;
    try {
      supervisor.create(runId, { contract: CONTRACT_VERSION, experiment: exp, mode: 'distributed', startedAt_ms });
    } catch (err) {
      throw new RpcException((err as Error).message);
    }
    // A run started while a service is missing waits for it, as the runs already going do.
    supervisor.adjust(runId, (st) => withMissing(st, this.runtime.missing));
    supervisor.command(runId, { type: 'Pump' });
    return { runId };
  }

  @MessagePattern(CANCEL_RUN)
  cancel(@Payload() request: { runId?: unknown; reason?: unknown }): { runId: string } {
    const runId = request?.runId;
    if (typeof runId !== 'string' || !isRunToken(runId)) throw new RpcException(`runId must be 1–128 characters of A–Z a–z 0–9 _ -, got ${JSON.stringify(runId)}`);
    const host = this.runtime.host as SupervisorHost | null;
    if (host?.stateOf(runId) === undefined) throw new RpcException(`run ${runId} is not running on this supervisor (see metatwin runs)`);
    const reason = typeof request.reason === 'string' ? request.reason.slice(0, 200) : 'cancelled by the user';
    host.command(runId, { type: 'Cancel', reason });
    return { runId };
  }

  @MessagePattern(RESUME_RUN)
  async resume(@Payload() request: { runId?: unknown }): Promise<{ runId: string }> {
    const runId = request?.runId;
    if (typeof runId !== 'string' || !isRunToken(runId)) throw new RpcException(`runId must be 1–128 characters of A–Z a–z 0–9 _ -, got ${JSON.stringify(runId)}`);
    try {
      await this.runtime.resume(runId);
    } catch (err) {
      throw new RpcException((err as Error).message);
    }
    return { runId };
  }
}
