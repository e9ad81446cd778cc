/**
 * A server list as nats.js needs it: one URL per entry. A comma-joined string ("nats://a:4222,
 * nats://b:4222", as --nats and METATWIN_NATS_URL take a cluster) given to nats.js as one
 * entry parses as a single URL — the last host — so losing that one node would strand the
 * client even though the others are up.
 */
export function natsServers(servers: string | readonly string[]): string[] {
  return (typeof servers === 'string' ? [servers] : [...servers])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
