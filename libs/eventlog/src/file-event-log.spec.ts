/** What only the file adapter has: crash leftovers on disk and its run index. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptLogError } from './errors';
import { batch, spans } from './spec-helpers';
import { FileEventLog } from './file-event-log';

describe('FileEventLog on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metatwin-filelog-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const joined = (...parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };

  /** The frames of a run file: [length u32][crc u32][body], little-endian. */
  async function frames(file: string): Promise<Uint8Array[]> {
    const bytes = await readFile(file);
    const out: Uint8Array[] = [];
    for (let at = 0; at + 8 <= bytes.length;) {
      const length = bytes.readUInt32LE(at);
      out.push(u8(bytes.subarray(at, at + 8 + length)));
      at += 8 + length;
    }
    return out;
  }

  it('writes one checksummed frame per batch in <runId>.mtlog, packed to a fraction of its JSON, and indexes the run once', async () => {
    const log = await FileEventLog.open(dir);
    const many = { ...batch('r1', 'edges', 3, 2000), records: Array.from({ length: 2000 }, (_, i) => [10, 3 + i, (1 + i) * 100000, { step: i, datapoint: i % 4 }]) };
    await log.append(batch('r1', 'edges', 1, 2));
    await log.append(many);
    await log.close();
    const stored = await frames(join(dir, 'r1.mtlog'));
    expect(stored).toHaveLength(2);
    expect(stored[1].length).toBeLessThan(JSON.stringify(many).length / 20);
    expect(await readFile(join(dir, 'runs.idx'), 'utf8')).toBe('r1\n');
    const reopened = await FileEventLog.open(dir);
    const read = [];
    for await (const b of reopened.read('r1')) read.push(b);
    expect(read).toEqual([batch('r1', 'edges', 1, 2), many]);
    await reopened.close();
  });

  it('ignores a torn last frame on read (cut short, or whole but failing its checksum) and cuts it off before the next append', async () => {
    const cutShort = (f: Uint8Array): Uint8Array => f.subarray(0, 20);
    const lastByteFlipped = (f: Uint8Array): Uint8Array => {
      const copy = f.slice();
      copy[copy.length - 1] ^= 0xff;
      return copy;
    };
    for (const tear of [cutShort, lastByteFlipped]) {
      const log = await FileEventLog.open(dir);
      await log.append(batch('r1', 'edges', 1, 2));
      await log.append(batch('r1', 'edges', 3, 2));
      await log.close();
      const file = join(dir, 'r1.mtlog');
      const [first, second] = await frames(file);
      await writeFile(file, joined(first, tear(second)));

      const reopened = await FileEventLog.open(dir);
      expect(await spans(reopened, 'r1')).toEqual(['edges:1-2']);
      expect(await reopened.lastSequence('r1', 'edges')).toBe(2);
      await reopened.append(batch('r1', 'edges', 3, 2));
      expect(await spans(reopened, 'r1')).toEqual(['edges:1-2', 'edges:3-4']);
      await reopened.close();
      expect(await frames(file)).toHaveLength(2);
      await rm(file);
      await rm(join(dir, 'runs.idx'));
    }
  });

  it('appendAll writes batches of several sources as one frame: a crash keeps all of them or none', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('r1', 'edges', 1, 2));
    await log.appendAll([batch('r1', 'edges', 3, 2), batch('r1', 'clamp', 1, 3)]);
    await log.close();
    const file = join(dir, 'r1.mtlog');
    const [first, group] = await frames(file);
    expect(await frames(file)).toHaveLength(2);
    const reopened = await FileEventLog.open(dir);
    expect(await spans(reopened, 'r1')).toEqual(['edges:1-2', 'edges:3-4', 'clamp:1-3']);
    await reopened.close();
    // Torn inside the group: neither of its batches is read, and the next append cuts it away.
    await writeFile(file, joined(first, group.subarray(0, group.length - 3)));
    const torn = await FileEventLog.open(dir);
    expect(await spans(torn, 'r1')).toEqual(['edges:1-2']);
    expect(await torn.lastSequence('r1', 'clamp')).toBe(0);
    await torn.appendAll([batch('r1', 'edges', 3, 2), batch('r1', 'clamp', 1, 3)]);
    expect(await spans(torn, 'r1')).toEqual(['edges:1-2', 'edges:3-4', 'clamp:1-3']);
    // A gap in any batch refuses the whole group, and nothing of it is written.
    await expect(torn.appendAll([batch('r1', 'edges', 5, 1), batch('r1', 'clamp', 9, 1)])).rejects.toThrow(/clamp: gap — expected firstSeq 4, got 9/);
    expect(await spans(torn, 'r1')).toEqual(['edges:1-2', 'edges:3-4', 'clamp:1-3']);
    await torn.close();
  });

  it('names file and frame of a frame failing its checksum in the middle of a run', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('r1', 'edges', 1, 1));
    await log.append(batch('r1', 'edges', 2, 1));
    await log.close();
    const file = join(dir, 'r1.mtlog');
    const [first, second] = await frames(file);
    first[first.length - 1] ^= 0xff;
    await writeFile(file, joined(first, second));
    const reopened = await FileEventLog.open(dir);
    await expect(spans(reopened, 'r1')).rejects.toThrow(/r1\.mtlog: frame 1 \(bytes 0\.\.\d+\) fails its checksum/);
    await expect(reopened.append(batch('r1', 'edges', 3, 1))).rejects.toThrow(CorruptLogError);
    await reopened.close();
  });

  it('does not list a run whose only frame is torn, and repairs it on the first append', async () => {
    await writeFile(join(dir, 'runs.idx'), 'r0\n');
    await writeFile(join(dir, 'r0.mtlog'), new Uint8Array([200, 0, 0, 0, 1, 2]));
    const log = await FileEventLog.open(dir);
    expect(await log.runIds()).toEqual([]);
    await log.append(batch('r0', 'edges', 1, 1));
    expect(await log.runIds()).toEqual(['r0']);
    expect(await spans(log, 'r0')).toEqual(['edges:1-1']);
    await log.close();
  });

  it('reads a run logged as JSON lines before packing, and appends to it as JSON lines', async () => {
    await writeFile(join(dir, 'old.jsonl'), JSON.stringify(batch('old', 'edges', 1, 2)) + '\n' + JSON.stringify(batch('old', 'edges', 3, 1)).slice(0, 25));
    const log = await FileEventLog.open(dir);
    expect(await log.runIds()).toEqual(['old']);
    expect(await spans(log, 'old')).toEqual(['edges:1-2']);
    await log.append(batch('old', 'edges', 3, 1));
    await log.close();
    const lines = (await readFile(join(dir, 'old.jsonl'), 'utf8')).split('\n');
    expect(lines.map((l) => (l ? (JSON.parse(l) as { firstSeq: number }).firstSeq : ''))).toEqual([1, 3, '']);
  });

  it('lists run files missing from the index after the indexed runs', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('zulu', 'edges', 1, 1));
    await writeFile(join(dir, 'alpha.jsonl'), JSON.stringify(batch('alpha', 'edges', 1, 1)) + '\n');
    expect(await log.runIds()).toEqual(['zulu', 'alpha']);
    await log.close();
  });

  it('names file and line of a corrupt complete line of a JSON-lines run', async () => {
    await writeFile(join(dir, 'r1.jsonl'), JSON.stringify(batch('r1', 'edges', 1, 1)) + '\nnot json\n');
    const log = await FileEventLog.open(dir);
    await expect(spans(log, 'r1')).rejects.toThrow(CorruptLogError);
    await expect(spans(log, 'r1')).rejects.toThrow(/r1\.jsonl:2: not a stored batch|r1\.jsonl:2: not JSON/);
    await expect(log.append(batch('r1', 'edges', 2, 1))).rejects.toThrow(CorruptLogError);
    await log.close();
  });

  it('keeps many runs apart while writing them concurrently (more runs than open files)', async () => {
    const log = await FileEventLog.open(dir);
    const runs = Array.from({ length: 40 }, (_, i) => `run${i}`);
    for (let round = 0; round < 3; round++) {
      await Promise.all(runs.map((r) => log.append(batch(r, 'edges', round * 2 + 1, 2))));
    }
    for (const r of runs) expect(await spans(log, r)).toEqual(['edges:1-2', 'edges:3-4', 'edges:5-6']);
    expect(await log.runIds()).toHaveLength(40);
    await log.close();
  });
});
