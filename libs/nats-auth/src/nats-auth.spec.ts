import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES, SUBJECTS } from '@metatwin/contracts';
import { nkeys } from 'nats';
import {
  ADMIN_ONLY,
  LOG_STREAM,
  ROLES,
  RUN_CONTROL,
  authorizationConfig,
  connectionOptions,
  credentialsDir,
  describeAuthError,
  natsSecurity,
  natsServers,
  permissionsOf,
  writeCredentials,
} from './index';

/** nats-server's subject matching: `*` one token, `>` one or more at the end. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const mayPublish = (role: (typeof ROLES)[number], subject: string): boolean => {
  const p = permissionsOf(role);
  if (p === null) return true;
  return p.publish.allow.some((a) => matches(a, subject)) && !p.publish.deny.some((d) => matches(d, subject));
};
const maySubscribe = (role: (typeof ROLES)[number], subject: string): boolean => {
  const p = permissionsOf(role);
  if (p === null) return true;
  return p.subscribe.allow.some((a) => matches(a, subject)) && !p.subscribe.deny.some((d) => matches(d, subject));
};

describe('the roles table', () => {
  it.each(SOURCES)('lets only %s publish on its own log subjects (besides the recorder of embedded runs and the admin)', (source) => {
    const subject = `${SUBJECTS.logPrefix}.run-1.${source}`;
    const allowed = ROLES.filter((r) => mayPublish(r, subject));
    expect(allowed.sort()).toEqual([source, 'recorder', 'admin'].sort());
  });

  it('keeps deleting, purging and reconfiguring the log and its catalogue to the admin', () => {
    const destructive = [
      `$JS.API.STREAM.DELETE.${LOG_STREAM}`,
      `$JS.API.STREAM.PURGE.${LOG_STREAM}`,
      `$JS.API.STREAM.UPDATE.${LOG_STREAM}`,
      `$JS.API.STREAM.MSG.DELETE.${LOG_STREAM}`,
      `$JS.API.STREAM.DELETE.KV_${LOG_STREAM}_RUNS`,
      `$JS.API.STREAM.PURGE.KV_${LOG_STREAM}_RUNS`,
      `$JS.API.STREAM.UPDATE.KV_${LOG_STREAM}_RUNS`,
    ];
    for (const subject of destructive) expect([subject, ROLES.filter((r) => mayPublish(r, subject))]).toEqual([subject, ['admin']]);
    // Every role but the admin carries the explicit denials too.
    for (const role of ROLES.filter((r) => r !== 'admin')) expect(permissionsOf(role)?.publish.deny).toEqual(expect.arrayContaining(ADMIN_ONLY));
  });

  it('lets the cli and the recorder start, cancel and resume runs; no service, worker or observer', () => {
    for (const subject of RUN_CONTROL) expect(ROLES.filter((r) => mayPublish(r, subject)).sort()).toEqual(['admin', 'cli', 'recorder']);
  });

  it('lets only the supervisor take run control requests, and each service only its own health', () => {
    for (const subject of RUN_CONTROL) expect(ROLES.filter((r) => maySubscribe(r, subject)).sort()).toEqual(['admin', 'supervisor']);
    for (const source of SOURCES) expect(ROLES.filter((r) => maySubscribe(r, SUBJECTS.health(source))).sort()).toEqual(['admin', source].sort());
  });

  it("lets only a service answer as itself (its reply namespace), and those who ask hear the answers; no role has nats-server's allow_responses", () => {
    for (const source of SOURCES) {
      const answer = SUBJECTS.reply(source, 'Xk2s9');
      expect([source, ROLES.filter((r) => mayPublish(r, answer)).sort()]).toEqual([source, ['admin', source].sort()]);
      for (const asker of ['cli', 'recorder', 'observer'] as const) expect([asker, maySubscribe(asker, answer)]).toEqual([asker, true]);
    }
    expect(authorizationConfig(ROLES.map((role) => ({ role, user: role, password: 'p' })))).not.toMatch(/allow_responses/);
  });

  it('lets every role read the log (stream info, consumers, message gets) and only workers, the cli and the admin ack study jobs or queue them', () => {
    for (const role of ROLES.filter((r) => r !== 'worker')) expect([role, mayPublish(role, `$JS.API.CONSUMER.MSG.NEXT.${LOG_STREAM}.c1`)]).toEqual([role, true]);
    expect(ROLES.filter((r) => mayPublish(r, '$JS.ACK.METATWIN_STUDY_JOBS.metatwin-study-workers.1.2.3.4.5')).sort()).toEqual(['admin', 'worker']);
    expect(ROLES.filter((r) => mayPublish(r, 'mt.study.jobs.s1')).sort()).toEqual(['admin', 'cli']);
  });
});

describe('credentials', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'metatwin-nats-auth-spec-'));

  it('writes a seed per role (0600, in a 0700 folder) and an authorization block of public keys; init keeps seeds, rotate replaces one', () => {
    const d = join(dir(), 'creds');
    const first = writeCredentials(d);
    expect(first.made).toEqual([...ROLES]);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    for (const role of ROLES) {
      expect(statSync(join(d, `${role}.nk`)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(d, `${role}.nk`), 'utf8')).toMatch(/^SU[A-Z2-7]{56}\n$/);
    }
    const conf = readFileSync(first.authFile, 'utf8');
    expect(statSync(first.authFile).mode & 0o777).toBe(0o600);
    for (const role of ROLES) expect(conf).toContain(first.publicKeys[role]);
    expect(conf).not.toMatch(/"SU[A-Z2-7]{56}"/);
    const again = writeCredentials(d);
    expect(again.made).toEqual([]);
    expect(again.publicKeys).toEqual(first.publicKeys);
    const rotated = writeCredentials(d, { rotate: ['cli'] });
    expect(rotated.made).toEqual(['cli']);
    expect(rotated.publicKeys.cli).not.toBe(first.publicKeys.cli);
    expect(rotated.publicKeys.supervisor).toBe(first.publicKeys.supervisor);
    expect(readFileSync(rotated.authFile, 'utf8')).not.toContain(first.publicKeys.cli);
    expect(() => writeCredentials(d, { rotate: ['root'] })).toThrow(/no role "root": the roles are supervisor, /);
  });

  it("finds a role's seed in METATWIN_NATS_CREDS_DIR, or an explicit file first, and names what is missing", () => {
    const d = join(dir(), 'creds');
    writeCredentials(d);
    expect(natsSecurity('measurement', { METATWIN_NATS_CREDS_DIR: d })).toEqual({ role: 'measurement', nkeySeedFile: join(d, 'measurement.nk'), from: join(d, 'measurement.nk') });
    const own = join(dir(), 'mine.nk');
    writeFileSync(own, new TextDecoder().decode(nkeys.createUser().getSeed()));
    expect(natsSecurity('cli', { METATWIN_NATS_CREDS_DIR: d, METATWIN_NATS_CREDS: own })).toMatchObject({ nkeySeedFile: own, from: 'METATWIN_NATS_CREDS' });
    expect(natsSecurity('cli', { METATWIN_NATS_USER: 'ops', METATWIN_NATS_PASSWORD: 'pw' })).toMatchObject({ user: 'ops', password: 'pw' });
    expect(() => natsSecurity('cli', { METATWIN_NATS_USER: 'ops' })).toThrow(/METATWIN_NATS_USER is set but neither METATWIN_NATS_PASSWORD nor METATWIN_NATS_PASSWORD_FILE/);
    const empty = dir();
    expect(() => natsSecurity('worker', { METATWIN_NATS_CREDS_DIR: empty })).toThrow(`no credentials for role worker in ${empty} (worker.creds or worker.nk)`);
    expect(() => natsSecurity('cli', { METATWIN_NATS_CREDS_DIR: join(empty, 'nope') })).toThrow(/METATWIN_NATS_CREDS_DIR=.*nope is not a directory/);
    // Nothing set and no development folder under the working directory: an anonymous client.
    expect(credentialsDir({}, empty)).toBeNull();
    expect(natsSecurity('cli', {}, empty)).toEqual({ role: 'cli', from: 'none (anonymous)' });
    expect(() => natsSecurity('cli', { METATWIN_NATS_TLS_CERT: own }, empty)).toThrow(/METATWIN_NATS_TLS_CERT and METATWIN_NATS_TLS_KEY go together/);
  });

  it('gives nats.js an nkey authenticator that reads the seed at each connect, and TLS files', () => {
    const d = join(dir(), 'creds');
    writeCredentials(d);
    const opts = connectionOptions({ ...natsSecurity('cli', { METATWIN_NATS_CREDS_DIR: d }), tls: { caFile: '/ca.pem' } });
    expect(typeof opts.authenticator).toBe('function');
    expect(opts.tls).toEqual({ caFile: '/ca.pem' });
    const auth = opts.authenticator?.('nonce') as { nkey?: string; sig?: string };
    expect(auth.nkey).toBe(writeCredentials(d).publicKeys.cli);
    expect(connectionOptions(undefined)).toEqual({});
  });

  it('names the role and where its credentials came from when NATS refuses them, never the secret', () => {
    const security = { role: 'cli' as const, nkeySeedFile: '/x/cli.nk', from: '/x/cli.nk' };
    const refused = describeAuthError(Object.assign(new Error("'Authorization Violation'"), { code: 'AUTHORIZATION_VIOLATION' }), security);
    expect(refused).toMatch(/^NATS refused the credentials of role cli \(from \/x\/cli\.nk\)/);
    expect(describeAuthError(new Error('Permissions Violation for Publish to "$JS.API.STREAM.PURGE.METATWIN_LOG"'), security)).toMatch(
      /^NATS refused an operation of role cli .*STREAM\.PURGE\.METATWIN_LOG/,
    );
    expect(describeAuthError(new Error('ECONNREFUSED'), security)).toBeNull();
  });

  it('refuses to write an authorization block from a seed, or with no users', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    expect(() => authorizationConfig([{ role: 'cli', nkey: seed }])).toThrow(/must be a public user nkey .* it starts "SU"/);
    expect(() => authorizationConfig([])).toThrow(/no users/);
  });
});

describe('natsServers', () => {
  it('splits a comma-joined cluster list into one URL per entry (nats.js would take it as one URL, the last host)', () => {
    expect(natsServers('nats://127.0.0.1:1, nats://127.0.0.1:2,nats://127.0.0.1:3')).toEqual(['nats://127.0.0.1:1', 'nats://127.0.0.1:2', 'nats://127.0.0.1:3']);
    expect(natsServers(['nats://a:1,nats://b:2', 'nats://c:3'])).toEqual(['nats://a:1', 'nats://b:2', 'nats://c:3']);
    expect(natsServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
  });
});
