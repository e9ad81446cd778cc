/**
 * One link per controller per process: a controller has one host (a serial line has one
 * end), so every bridge adapter in a process that names the same controller shares its link.
 */
import { ControllerLink, type LinkOptions, type LinkState } from './link';
import { transportOf } from './transport';

const links = new Map<string, ControllerLink>();
type StateListener = (target: string, state: LinkState, reason: string) => void;
const listeners = new Set<StateListener>();

/** The link to `target` (`tcp://host:port` or a serial device path), connecting in the background on first use. */
export function controllerLink(target: string, options: LinkOptions = {}): ControllerLink {
  let link = links.get(target);
  if (link === undefined || link.state === 'closed') {
    link = ControllerLink.connect(transportOf(target), options);
    link.onState((state, reason) => listeners.forEach((l) => l(target, state, reason)));
    links.set(target, link);
  }
  return link;
}

/** This process's controller links, one per target, in the order they were opened (for its health reports). */
export function controllerLinks(): ReadonlyArray<{ readonly target: string; readonly link: ControllerLink }> {
  return [...links].map(([target, link]) => ({ target, link }));
}

/** Every controller link's state changes (up, down with the reason, …): a run frozen on a lost link says so. */
export function onControllerState(listener: StateListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The variables that set a controller link's time-outs (ms) and retries, and what they set. */
export const LINK_ENV = {
  METATWIN_LINK_TIMEOUT_MS: 'timeout_ms',
  METATWIN_LINK_RETRIES: 'retries',
  METATWIN_LINK_HEARTBEAT_MS: 'heartbeat_ms',
  METATWIN_LINK_RECONNECT_MS: 'reconnect_ms',
} as const;

/** Link options from the environment; a bad value is named with its variable. */
export function linkOptionsFrom(env: Readonly<Record<string, string | undefined>>): LinkOptions {
  const options: Record<string, number> = {};
  for (const [name, key] of Object.entries(LINK_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const v = Number(raw);
    const min = key === 'retries' ? 0 : 1;
    if (!Number.isInteger(v) || v < min || v > 3_600_000) throw new RangeError(`${name} must be an integer in ${min}..3600000, got "${raw}"`);
    options[key] = v;
  }
  return options as LinkOptions;
}

/** Close every controller link this process opened (at the end of a command). */
export async function closeControllerLinks(): Promise<void> {
  const all = [...links.values()];
  links.clear();
  await Promise.all(all.map((l) => l.close()));
}
