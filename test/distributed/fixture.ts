/**
 * What the fault tests share: a private nats-server, the four service processes on it, and
 * an uninterrupted distributed XOR run of `steps` — the reference every faulted run must
 * match bit for bit. Call it inside a describe: it registers that describe's beforeAll and
 * afterAll.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { killClis, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';

export interface ServicesRig {
  readonly nats: NatsServer;
  /** The running service processes (a test that restarts one puts the new one in its place). */
  services: ServiceProcess[];
  readonly reference: RunResult & { run: string };
}

export function servicesWithReference(steps: number): ServicesRig {
  const rig = {} as { nats: NatsServer; services: ServiceProcess[]; reference: RunResult & { run: string } };
  beforeAll(async () => {
    rig.nats = await startNats();
    rig.services = await startServices({ natsUrl: rig.nats.url });
    const dir = mkdtempSync(join(tmpdir(), 'mt-ref-'));
    const r = await startCli(['run', 'xor', '--steps', String(steps), '--bus', rig.nats.url, '--out', dir, '--no-report']).done;
    if (r.code !== 0) throw new Error(r.out);
    rig.reference = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  });
  afterAll(async () => {
    killClis();
    await stopServices(rig.services ?? []);
    await rig.nats?.stop();
  });
  return rig;
}
