/** What only the file adapter has: crash leftovers on disk and its run index. */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

  it('writes one JSON line per batch in <runId>.jsonl and indexes the run once', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('r1', 'edges', 1, 2));
    await log.append(batch('r1', 'edges', 3, 1));
    await log.close();
    const lines = (await readFile(join(dir, 'r1.jsonl'), 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0])).toEqual({ runId: 'r1', source: 'edges', firstSeq: 1, lastSeq: 2, records: [{ seq: 1 }, { seq: 2 }] });
    expect(await readFile(join(dir, 'runs.idx'), 'utf8')).toBe('r1\n');
  });

  it('ignores a torn last line on read and cuts it off before the next append', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('r1', 'edges', 1, 2));
    await log.close();
    const torn = JSON.stringify(batch('r1', 'edges', 3, 2)).slice(0, 25);
    await appendFile(join(dir, 'r1.jsonl'), torn);

    const reopened = await FileEventLog.open(dir);
    expect(await spans(reopened, 'r1')).toEqual(['edges:1-2']);
    expect(await reopened.lastSequence('r1', 'edges')).toBe(2);
    await reopened.append(batch('r1', 'edges', 3, 2));
    expect(await spans(reopened, 'r1')).toEqual(['edges:1-2', 'edges:3-4']);
    await reopened.close();
    expect((await readFile(join(dir, 'r1.jsonl'), 'utf8')).includes(torn + '\n')).toBe(false);
  });

  it('does not list a run whose only line is torn, and repairs it on the first append', async () => {
    await writeFile(join(dir, 'runs.idx'), 'r0\n');
    await writeFile(join(dir, 'r0.jsonl'), '{"runId":"r0","sou');
    const log = await FileEventLog.open(dir);
    expect(await log.runIds()).toEqual([]);
    await log.append(batch('r0', 'edges', 1, 1));
    expect(await log.runIds()).toEqual(['r0']);
    expect(await spans(log, 'r0')).toEqual(['edges:1-1']);
    await log.close();
  });

  it('lists run files missing from the index after the indexed runs', async () => {
    const log = await FileEventLog.open(dir);
    await log.append(batch('zulu', 'edges', 1, 1));
    await writeFile(join(dir, 'alpha.jsonl'), JSON.stringify(batch('alpha', 'edges', 1, 1)) + '\n');
    expect(await log.runIds()).toEqual(['zulu', 'alpha']);
    await log.close();
  });

  it('names file and line of a corrupt complete line', async () => {
    await writeFile(join(dir, 'r1.jsonl'), JSON.stringify(batch('r1', 'edges', 1, 1)) + '\nnot json\n');
    const log = await FileEventLog.open(dir);
    await expect(spans(log, 'r1')).rejects.toThrow(CorruptLogError);
    await expect(spans(log, 'r1')).rejects.toThrow(/r1\.jsonl:2: not JSON/);
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
