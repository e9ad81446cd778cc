/** Request/reply over Nest's NATS transport: health for every service, run start for the supervisor. */
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { SUBJECTS, isRunToken } from '@metatwin/contracts';
import type { Experiment } from '@metatwin/experiments';
import { SupervisorCore } from '@metatwin/services';
import { ServiceRuntime, type Health } from './runtime';

export const START_RUN = 'mt.rpc.supervisor.start';

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
    const exp = request.experiment as Experiment | undefined;
    if (!exp || typeof exp !== 'object' || !exp.schedule || !exp.dataset || !exp.roles) throw new RpcException('experiment must be a resolved experiment (as in result.json)');
    const core = this.runtime.core;
    if (!(core instanceof SupervisorCore)) throw new RpcException('this service is not the supervisor');
    const startedAt_ms = request.startedAt_ms ?? Date.now();
    if (typeof startedAt_ms !== 'number' || !Number.isSafeInteger(startedAt_ms) || startedAt_ms < 0) throw new RpcException(`startedAt_ms must be a non-negative integer (ms since the epoch), got ${JSON.stringify(startedAt_ms)}`);
    core.start(runId, exp, 'distributed', startedAt_ms);
    return { runId };
  }
}
