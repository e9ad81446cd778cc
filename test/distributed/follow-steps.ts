/**
 * Watching a distributed run's progress from the event log (log-first: the log is where
 * signals exist): the last training step whose GatesEvolved is stored, of any run.
 */
import { SIGNAL_TYPES } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import { testSecurity } from '@metatwin/test-support';

const GATES_EVOLVED = SIGNAL_TYPES.indexOf('GatesEvolved');

export interface StepFollower {
  /** The last step whose GatesEvolved the log holds (−1 before any). */
  readonly lastStep: number;
  /** The run that step belongs to ('' before any). */
  readonly lastRun: string;
  stop(): Promise<void>;
}

export async function followSteps(natsUrl: string): Promise<StepFollower> {
  const log = await JetStreamEventLog.connect({ servers: natsUrl, reconnectForever: true, security: testSecurity('observer') });
  const { batches, stop } = await log.follow({ fromStreamSeq: (await log.lastStreamSequence()) + 1, accept: (subject) => subject.endsWith('.edge-physics') });
  const state = { lastStep: -1, lastRun: '' };
  const reading = (async () => {
    for await (const b of batches)
      for (const r of b.records as Array<[number, number, number, { step: number; failed?: string }]>)
        if (r[0] === GATES_EVOLVED && !r[3].failed) {
          state.lastStep = r[3].step;
          state.lastRun = b.runId;
        }
  })();
  return {
    get lastStep() {
      return state.lastStep;
    },
    get lastRun() {
      return state.lastRun;
    },
    async stop() {
      await stop();
      await reading.catch(() => undefined);
      await log.close();
    },
  };
}
