/**
 * A service's controller links as health points (MEASUREMENTS.controllerLink): one per link,
 * written with the service's health once a second, so the "Hardware link" dashboard shows
 * frame rates, refused frames, retries, reconnects, round trips and whether the link is up.
 * The counters are the link's own (cumulative); the dashboard takes their rates.
 */
import type { ControllerLink } from '@metatwin/bridges';
import { MEASUREMENTS, type Point } from '@metatwin/projection';

export function controllerLinkPoints(service: string, links: ReadonlyArray<{ readonly target: string; readonly link: ControllerLink }>, time_us: number): Point[] {
  return links.map(({ target, link }) => {
    const s = link.stats;
    return {
      measurement: MEASUREMENTS.controllerLink,
      tags: { service, controller: target },
      fields: {
        state: link.state === 'up' ? 1 : 0,
        state_name: link.state,
        framesSent: s.framesSent,
        framesReceived: s.framesReceived,
        badFrames: s.badFrames,
        retries: s.retries,
        stale: s.stale,
        reconnects: s.reconnects,
        answered: s.answered,
        rtt_ms: s.rtt_ms,
        rttMean_ms: s.rttMean_ms,
        rttMax_ms: s.rttMax_ms,
      },
      time_us,
    };
  });
}
