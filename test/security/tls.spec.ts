/**
 * TLS (issue 14): two certificate authorities made with openssl at test time (no key is kept
 * in the repository), a nats-server started from the production template
 * (deploy/nats/nats-server.production.conf: TLS and every role's authorization) with a
 * certificate of CA "lab", and another with a certificate of CA "rogue". With
 * METATWIN_NATS_TLS_CA naming the lab CA, the services and the CLI connect to the first and run
 * a distributed run; a client, a service and the CLI refuse the second, and a client that trusts
 * only the system's CAs refuses both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { connectionOptions } from '@metatwin/nats-auth';
import { killClis, serviceHealth, startCli, startNats, startService, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';

interface Authority {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A CA, and a server certificate it signs for 127.0.0.1 and localhost (P-256 keys, valid one day). */
function makeAuthority(dir: string, name: string): Authority {
  const f = (x: string): string => join(dir, `${name}-${x}`);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', `/CN=metatwin test CA ${name}`);
  openssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('ext.cnf'));
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

describe('TLS with a test CA (production template, real nats-server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-tls-'));
  let lab: Authority;
  let rogue: Authority;
  let good: NatsServer;
  let wrong: NatsServer;
  let services: ServiceProcess[] = [];
  /** Trusting the lab CA only. */
  let trustLab: Record<string, string>;

  beforeAll(async () => {
    lab = makeAuthority(dir, 'lab');
    rogue = makeAuthority(dir, 'rogue');
    good = await startNats({ tls: lab });
    wrong = await startNats({ tls: rogue });
    trustLab = { ...good.env };
  });

  afterAll(async () => {
    killClis();
    await stopServices(services);
    await good?.stop();
    await wrong?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves TLS from the production template: a client trusting the lab CA connects over TLS; one trusting only the system CAs does not', async () => {
    expect(readFileSync(join(good.storeDir, '..', 'nats.conf'), 'utf8')).toContain(`cert_file: "${lab.certFile}"`);
    const nc = await connect({ servers: good.url, reconnect: false, ...good.connectOptions('cli') });
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
    const { authenticator } = good.connectOptions('cli');
    await expect(connect({ servers: good.url, reconnect: false, authenticator })).rejects.toThrow(/certificate/i);
  });

  it('refuses a server whose certificate another CA signed: an in-process client, the CLI and a service', async () => {
    await expect(connect({ servers: wrong.url, reconnect: false, ...connectionOptions(wrong.security('cli')), tls: { caFile: lab.caFile } })).rejects.toThrow(/certificate/i);
    const cli = await startCli(['runs', '--log', wrong.url], trustLab).within(30_000);
    expect(cli.code).toBe(3);
    expect(cli.out.trim()).toMatch(
      new RegExp(
        `^metatwin runs: cannot reach NATS at ${wrong.url.replace(/[.]/g, '\\.')}: its TLS certificate is not trusted \\(.+\\); METATWIN_NATS_TLS_CA must name the CA that signed it \\(it names ${lab.caFile.replace(/[.]/g, '\\.')}\\)$`,
      ),
    );
    const service = startService('supervisor', { natsUrl: wrong.url, natsEnv: trustLab });
    const code = await new Promise<number | null>((resolve) => service.process.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(service.output).toMatch(/certificate/i);
  });

  it('runs the four services and a distributed run over TLS with the lab CA', async () => {
    // Only what follows counts: the first test's untrusting client left a handshake error in the log.
    const logged = good.logText().length;
    services = await startServices({ natsUrl: good.url, natsEnv: trustLab });
    expect((await serviceHealth(good.url, 'supervisor', 2000, trustLab)).ok).toBe(true);
    const out = mkdtempSync(join(dir, 'run-'));
    const r = await startCli(['run', 'xor', '--steps', '300', '--bus', good.url, '--out', out, '--no-report'], trustLab).within(120_000);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'))).toMatchObject({ mode: 'distributed', steps: 300 });
    expect(good.logText().slice(logged)).not.toMatch(/Violation|TLS handshake error/);
  });
});
