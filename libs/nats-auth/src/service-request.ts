/**
 * Asking a service (health, run control) over request/reply. The answer is asked for on a
 * reply subject in the service's own namespace (`mt.reply.<service>.<token>`), which only that
 * service's role may publish on (roles.ts), so no other client can answer as the service —
 * what nats-server's allow_responses would give, without its per-delivery cost (roles.ts).
 * The token is a fresh NUID: one subscription per request (nats.js's noMux).
 */
import { nuid, type Msg, type NatsConnection } from 'nats';
import { SUBJECTS, type Source } from '@metatwin/contracts';

export function requestService(nc: NatsConnection, service: Source, subject: string, payload: Uint8Array, timeout_ms: number): Promise<Msg> {
  return nc.request(subject, payload, { timeout: timeout_ms, noMux: true, reply: SUBJECTS.reply(service, nuid.next()) });
}
