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

/** Every controller link's state changes (up, down with the reason, …): a run frozen on a lost link says so. */
export function onControllerState(listener: StateListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Close every controller link this process opened (at the end of a command). */
export async function closeControllerLinks(): Promise<void> {
  const all = [...links.values()];
  links.clear();
  await Promise.all(all.map((l) => l.close()));
}
