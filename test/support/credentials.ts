/**
 * The NATS credentials of a test process: one nkey seed per role (libs/nats-auth's table) in a
 * private temporary directory, made on first use and removed when the process exits. Every
 * nats-server that test/support starts in this process includes the same authorization block,
 * so servers run with the production roles and permissions, and every child process test/support
 * starts (services, the CLI) finds its role's seed through METATWIN_NATS_CREDS_DIR, as under
 * `metatwin up`. In-process clients connect with `connectOptions(role)` or pass `security(role)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOptions, natsSecurity, writeCredentials, type NatsRole, type NatsSecurity, type WrittenCredentials } from '@metatwin/nats-auth';

let made: WrittenCredentials | null = null;

/** This process's credentials directory and authorization block, made on first call. */
export function testCredentials(): WrittenCredentials {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-nats-auth-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  made = writeCredentials(join(dir, 'creds'));
  return made;
}

/** Variables that would give a child other credentials than the test's (a developer's shell may set them). */
const AMBIENT = [
  'METATWIN_NATS_CREDS',
  'METATWIN_NATS_USER',
  'METATWIN_NATS_PASSWORD',
  'METATWIN_NATS_PASSWORD_FILE',
  'METATWIN_NATS_ROLE',
  'METATWIN_NATS_TLS_CA',
  'METATWIN_NATS_TLS_CERT',
  'METATWIN_NATS_TLS_KEY',
];

/** process.env without the NATS credential variables of whoever runs the tests. */
export function childBaseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of AMBIENT) delete env[name];
  return env;
}

/** The environment a child process needs to find its role's credentials (services pick their own role; the CLI its command's). */
export function credentialsEnv(): { METATWIN_NATS_CREDS_DIR: string } {
  return { METATWIN_NATS_CREDS_DIR: testCredentials().dir };
}

/** What an in-process client of `role` passes as JetStreamEventLogOptions.security (or StudyQueueOptions.security). */
export function testSecurity(role: NatsRole, extraEnv: NodeJS.ProcessEnv = {}): NatsSecurity {
  return natsSecurity(role, { ...credentialsEnv(), ...extraEnv });
}

/** nats.js connect() options for `role`: `connect({ servers: nats.url, ...testConnectOptions('observer') })`. */
export function testConnectOptions(role: NatsRole, extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof connectionOptions> {
  return connectionOptions(testSecurity(role, extraEnv));
}
