import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxTarget } from './target';

describe('influxTarget', () => {
  it('is off unless --influx or METATWIN_INFLUX_URL names a server', () => {
    expect(influxTarget(undefined, {})).toBeNull();
    expect(influxTarget(undefined, { METATWIN_INFLUX_URL: '' })).toBeNull();
  });

  it('reads host, port, database (path, METATWIN_INFLUX_DB or metatwin) and credentials', () => {
    expect(influxTarget('http://127.0.0.1:18086', {})).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 18086, database: 'metatwin' });
    expect(influxTarget('http://127.0.0.1:18086/lab_a', { METATWIN_INFLUX_DB: 'ignored' })).toMatchObject({ database: 'lab_a' });
    expect(
      influxTarget(undefined, { METATWIN_INFLUX_URL: 'https://db.example:8443', METATWIN_INFLUX_DB: 'runs', METATWIN_INFLUX_USER: 'u', METATWIN_INFLUX_PASSWORD: 'p' }),
    ).toMatchObject({ protocol: 'https', port: 8443, database: 'runs', username: 'u', password: 'p' });
    expect(influxTarget('http://me:secret@h:1/db', {})).toMatchObject({ username: 'me', password: 'secret', url: 'http://h:1/db' });
  });

  it('names the flag or variable and the value when they are wrong', () => {
    expect(() => influxTarget('ftp://h:1', {})).toThrow(/--influx must use http:\/\/ or https:\/\/, got "ftp:\/\/h:1"/);
    expect(() => influxTarget(undefined, { METATWIN_INFLUX_URL: 'not a url' })).toThrow(/METATWIN_INFLUX_URL must be an http/);
    expect(() => influxTarget('http://h:1', { METATWIN_INFLUX_DB: 'bad name;' })).toThrow(/database name .* "bad name;" \(from METATWIN_INFLUX_DB\)/);
  });

  it('takes the password from METATWIN_INFLUX_PASSWORD_FILE, or the writer from a passwords folder, and says where from', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'metatwin-target-'));
    writeFileSync(join(cwd, 'pw'), 's3cret\n', { mode: 0o600 });
    expect(influxTarget('http://h:1', { METATWIN_INFLUX_USER: 'writer', METATWIN_INFLUX_PASSWORD_FILE: 'pw' }, cwd)).toMatchObject({
      username: 'writer',
      password: 's3cret',
      from: 'METATWIN_INFLUX_USER',
    });
    // Nothing set: anonymous, until scripts/servers.sh's folder is there.
    const anonymous = influxTarget('http://h:1', {}, cwd);
    expect(anonymous).toMatchObject({ from: 'none (anonymous)' });
    expect(anonymous?.username).toBeUndefined();
    const dev = join(cwd, '.tmp', 'servers', 'influx-auth');
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, 'writer.password'), 'devpw\n');
    expect(influxTarget('http://h:1', {}, cwd)).toMatchObject({ username: 'writer', password: 'devpw', from: join(dev, 'writer.password') });
    expect(influxTarget('http://h:1', { METATWIN_INFLUX_CREDS_DIR: dev }, '/')).toMatchObject({ username: 'writer', password: 'devpw' });
  });

  it('names a missing password, folder or file without showing a password', () => {
    expect(() => influxTarget('http://h:1', { METATWIN_INFLUX_USER: 'writer' })).toThrow(
      /METATWIN_INFLUX_USER is set but neither METATWIN_INFLUX_PASSWORD nor METATWIN_INFLUX_PASSWORD_FILE/,
    );
    expect(() => influxTarget('http://h:1', { METATWIN_INFLUX_USER: 'w', METATWIN_INFLUX_PASSWORD_FILE: '/no/such/pw' })).toThrow(
      /cannot read the InfluxDB password \(METATWIN_INFLUX_PASSWORD_FILE\)/,
    );
    expect(() => influxTarget('http://h:1', { METATWIN_INFLUX_CREDS_DIR: '/no/such/dir' })).toThrow(/METATWIN_INFLUX_CREDS_DIR=\/no\/such\/dir is not a directory/);
  });
});
