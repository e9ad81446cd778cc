/**
 * What every bridge to one controller shares: the link, which of the run's subsystems are on
 * that controller (the rig's bridges with the same address), and one command sequence at a
 * time.
 *
 * Several bridges on one controller drive one board, so each line has one owner: the one
 * whose subsystem needs it set at that moment of the step (docs/protocol.md, "Several
 * subsystems on one controller"). A bridge's commands for one port call run as one
 * sequence (`exclusive`): no other bridge's command comes between a route, the jig writes and
 * the read that depends on them.
 */
import { clampDrives, nodeCount, outputNodes, type Experiment, type Source } from '@metatwin/contracts';
import { networkOf } from '@metatwin/edge-physics';
import { adcConfig } from '@metatwin/measurement';
import { fromCode } from '@metatwin/physics';
import { DAC_CHANNELS, DEMUX_ADDRESSES, MAX_SCAN_REPEATS, type Command, type Reply } from '@metatwin/protocol';
import { PAPER_DAC, dacCode, patchMap, type PatchTarget } from '@metatwin/supervisor';
import type { ControllerLink } from './link';

/** The controller refused a command or did it otherwise than asked: the run cannot go on as recorded. */
export class ControllerError extends Error {
  override readonly name = 'ControllerError';
}

/** The controller's answer, or a ControllerError naming the command and its reason. */
export async function expectReply<K extends Reply['kind']>(link: ControllerLink, command: Command, kind: K): Promise<Extract<Reply, { kind: K }>> {
  const reply = await link.request(command);
  if (reply.kind === kind) return reply as Extract<Reply, { kind: K }>;
  if (reply.kind === 'error') throw new ControllerError(`the controller at ${link.transport.describe} refused ${command.kind} (${reply.code}): ${reply.message}`);
  throw new ControllerError(`the controller at ${link.transport.describe} answered ${command.kind} with ${reply.kind}, not ${kind}`);
}

/** A run's id as the 32-bit tag its learn pulses carry (FNV-1a). */
export function runTag(runId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Why `source`'s bridge cannot drive `exp` on the paper's board (its demux, its 8 DAC channels, its jig, its voltage-driven clamp), or null. */
export function boardRefusal(source: Source, exp: Experiment): string | null {
  const nodes = nodeCount(exp.network);
  const edges = networkOf(exp.network).edgeCount;
  if (2 * nodes > DEMUX_ADDRESSES || edges > DEMUX_ADDRESSES)
    return `the board's demux reads ${DEMUX_ADDRESSES} addresses: ${nodes} nodes per copy and ${edges} edges do not fit (at most ${DEMUX_ADDRESSES / 2} nodes and ${DEMUX_ADDRESSES} edges)`;
  const channels = patchMap(exp).length;
  if (channels > DAC_CHANNELS) return `the board's DAC has ${DAC_CHANNELS} channels; this experiment needs ${channels} (one per input, one per rail, one label line per output)`;
  if (outputNodes(exp).length > 2) return `the jig drives at most 2 outputs; this experiment has ${outputNodes(exp).length}`;
  if ((source === 'edge-physics' || source === 'clamping') && clampDrives(exp.clamp) !== 'voltage')
    return `the clamp law "${exp.clamp.kind}" injects currents; the board's clamp holds voltages`;
  return null;
}

const queues = new WeakMap<ControllerLink, Promise<unknown>>();

export class BoardAccess {
  /** The run's subsystems whose bridge is this controller (this one's included). */
  readonly onBoard: ReadonlySet<Source>;
  readonly tag: number;
  /** What each DAC channel drives (the patch map): held nodes (inputs, then rails), then the label line. */
  readonly targets: ReadonlyArray<PatchTarget>;
  readonly heldChannels: number;
  readonly labelChannel: number;
  /** Repeats per ADC reading: the experiment's, within what a scan can sum. */
  readonly repeats: number;
  readonly edges: number;
  private readonly adc: ReturnType<typeof adcConfig>;

  constructor(
    readonly link: ControllerLink,
    readonly exp: Experiment,
    target: string,
    runId: string,
  ) {
    const sources = Object.keys(exp.rig) as Source[];
    this.onBoard = new Set(sources.filter((s) => exp.rig[s] === `bridge:${target}`));
    this.tag = runTag(runId);
    this.targets = patchMap(exp);
    this.labelChannel = this.targets.findIndex((t) => t.kind === 'label');
    this.heldChannels = this.labelChannel;
    this.adc = adcConfig(exp);
    this.repeats = Math.min(MAX_SCAN_REPEATS, this.adc.repeats);
    this.edges = networkOf(exp.network).edgeCount;
  }

  /** Run one port call's commands with no other bridge's command on this link in between. */
  exclusive<T>(commands: () => Promise<T>): Promise<T> {
    const before = queues.get(this.link) ?? Promise.resolve();
    const mine = before.then(commands, commands);
    queues.set(
      this.link,
      mine.catch(() => undefined),
    );
    return mine;
  }

  request<K extends Reply['kind']>(command: Command, kind: K): Promise<Extract<Reply, { kind: K }>> {
    return expectReply(this.link, command, kind);
  }

  /** The DAC codes of the held nodes' voltages (inputs, then rails). */
  heldCodes(held_V: ReadonlyArray<number>): Array<{ channel: number; code: number }> {
    return held_V.map((v, channel) => ({ channel, code: dacCode(PAPER_DAC, this.targets[channel], v) }));
  }

  labelCode(label_V: number): { channel: number; code: number } {
    return { channel: this.labelChannel, code: dacCode(PAPER_DAC, this.targets[this.labelChannel], label_V) };
  }

  /** Read `addresses` through the demux and ADC, after `writes` on the DACs in the same command: mean node and gate codes per address. */
  async scan(addresses: ReadonlyArray<number>, writes: ReadonlyArray<{ channel: number; code: number }> = []): Promise<Array<{ nodeCode: number; gateCode: number }>> {
    const r = await this.request({ kind: 'adcScan', repeats: this.repeats, addresses, writes }, 'adcScanCodes');
    if (r.sums.length !== addresses.length) throw new ControllerError(`adcScan of ${addresses.length} addresses answered ${r.sums.length}`);
    return r.sums.map((s) => ({ nodeCode: s.node / r.repeats, gateCode: s.gate / r.repeats }));
  }

  nodeVolts(code: number): number {
    return fromCode(this.adc.node, code);
  }

  gateVolts(code: number): number {
    return fromCode(this.adc.gate, code);
  }
}
