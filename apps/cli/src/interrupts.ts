/**
 * Ctrl-C on `metatwin run`. On a terminal it asks whether to cancel the run (recorded as
 * cancelled; result.json with what was done; `metatwin resume` goes on later) or detach (a
 * distributed run goes on in the services, `metatwin attach` follows it; an embedded run,
 * which lives in this process, is left interrupted in its log). A second Ctrl-C, or no
 * terminal, cancels; `--on-interrupt cancel|detach` answers in advance (scripts, tests).
 */
import { createInterface, type Interface } from 'node:readline';
import { connect } from 'nats';
import { connectionOptions, natsServers } from '@metatwin/nats-auth';
import { CANCEL_RUN } from '@metatwin/service-host';
import { askSupervisor } from './commands/distributed';
import { cliSecurity, natsFailure } from './commands/event-log';
import { UsageError } from './usage';

export type InterruptPolicy = 'ask' | 'cancel' | 'detach';
export type InterruptChoice = 'cancel' | 'detach';

export function onInterruptPolicy(flag: string | undefined, io: { readonly isTty: boolean }): InterruptPolicy {
  if (flag === undefined) return process.stdin.isTTY && io.isTty ? 'ask' : 'cancel';
  if (flag === 'ask' || flag === 'cancel' || flag === 'detach') return flag;
  throw new UsageError(`--on-interrupt must be ask, cancel or detach, got "${flag}"`);
}

/** The user detached from a distributed run: it goes on in the services. */
export class Detached extends Error {
  override readonly name = 'Detached';
  constructor(readonly runId: string) {
    super(`detached from run ${runId}`);
  }
}

/** Ask the supervisor on `natsUrl` to cancel `runId`. */
export async function cancelOnServices(natsUrl: string, runId: string, reason: string): Promise<void> {
  let nc;
  const security = cliSecurity('cli');
  try {
    nc = await connect({ servers: natsServers(natsUrl), name: 'metatwin-cli-cancel', ...connectionOptions(security) });
  } catch (err) {
    throw natsFailure(natsUrl, err, security);
  }
  try {
    await askSupervisor(nc, natsUrl, CANCEL_RUN, { runId, reason });
  } finally {
    await nc.close();
  }
}

export class Interrupts {
  /** What the user chose, once they pressed Ctrl-C. */
  choice: InterruptChoice | null = null;
  private prompt: Interface | null = null;
  private onChoice: ((c: InterruptChoice) => void) | null = null;
  private readonly handler = (): void => this.interrupt();

  constructor(
    private readonly policy: InterruptPolicy,
    private readonly note: (line: string) => void,
  ) {
    process.on('SIGINT', this.handler);
    // `metatwin cancel` of an embedded run asks its process with SIGTERM: cancel, without asking.
    process.on('SIGTERM', this.terminate);
  }

  private readonly terminate = (): void => this.decide('cancel');

  /**
   * For a distributed run: rejects with Detached when the user detaches; on cancel, asks the
   * supervisor to cancel (the run then ends RunCancelled, which the follower sees).
   */
  distributed(natsUrl: string, runId: string): Promise<never> {
    const detached = new Promise<never>((_, reject) => {
      this.onChoice = (c) => {
        if (c === 'detach') return reject(new Detached(runId));
        this.note(`cancelling run ${runId}…`);
        cancelOnServices(natsUrl, runId, 'cancelled by the user (Ctrl-C)').catch((err: Error) => this.note(`cancel failed: ${err.message}`));
      };
    });
    detached.catch(() => undefined);
    return detached;
  }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.terminate);
    this.prompt?.close();
  }

  private interrupt(): void {
    // A second Ctrl-C (while asked, or after detaching was chosen) cancels.
    if (this.choice !== null || this.prompt !== null) return this.decide('cancel');
    if (this.policy !== 'ask') return this.decide(this.policy);
    this.prompt = createInterface({ input: process.stdin, output: process.stderr });
    this.prompt.question('\nCtrl-C: (c)ancel the run, or (d)etach from it? [c/d] ', (answer) => this.decide(/^\s*d/i.test(answer) ? 'detach' : 'cancel'));
  }

  private decide(c: InterruptChoice): void {
    if (this.choice === 'cancel') return;
    this.choice = c;
    this.prompt?.close();
    this.prompt = null;
    this.onChoice?.(c);
  }
}
