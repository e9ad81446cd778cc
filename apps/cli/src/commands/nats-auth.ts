import { parseArgs } from 'node:util';
import { DEV_CREDENTIALS_DIR, NatsCredentialsError, ROLES, writeCredentials } from '@metatwin/nats-auth';
import { UsageError } from '../usage';

/**
 * `metatwin nats-auth init|rotate [--dir DIR] [--role ROLE]…`: the NATS credentials of every
 * role (libs/nats-auth's table) as nkey seeds in DIR (`<role>.nk`, mode 0600), and the
 * server's authorization block (`auth.conf`, public keys and permissions) beside them.
 * `init` keeps seeds already there (and writes auth.conf again from the table); `rotate`
 * replaces the seeds of the roles named (all, without --role). The server takes a new
 * auth.conf on a reload (scripts/servers.sh reload, or nats-server --signal reload); clients
 * read their seed file again when they reconnect.
 */
export function natsAuthCommand(argv: string[], write: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, role: { type: 'string', multiple: true } },
    strict: true,
    allowPositionals: true,
  });
  const [action, ...extra] = positionals;
  if ((action !== 'init' && action !== 'rotate') || extra.length > 0) throw new UsageError('usage: metatwin nats-auth init|rotate [--dir DIR] [--role ROLE]…');
  const dir = values.dir ?? process.env.METATWIN_NATS_CREDS_DIR ?? DEV_CREDENTIALS_DIR;
  if (action === 'init' && values.role) throw new UsageError('--role is for rotate (init makes every role that is missing)');
  const rotate = action === 'rotate' ? (values.role ?? [...ROLES]) : [];
  try {
    const written = writeCredentials(dir, { rotate });
    write(`${written.made.length ? `made ${written.made.join(', ')}` : 'every role already had its seed'} in ${written.dir}\n`);
    write(`nats-server authorization: ${written.authFile} (include it; reload the server after a rotation)\n`);
    write(`METATWIN_NATS_CREDS_DIR=${written.dir}\n`);
    return 0;
  } catch (err) {
    if (err instanceof NatsCredentialsError) throw new UsageError(err.message);
    throw err;
  }
}
