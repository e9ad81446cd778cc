/**
 * Hostile input files (issue 14): what is not a regular file is refused by what it is, a file
 * over its cap is refused before it is read, a CSV of a million rows is refused at its row cap,
 * no error quotes a file's content, NaN and Infinity are named, and YAML's aliases and every
 * file's nesting are bounded.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_ROWS_MAX } from './csv';
import { INPUT_FILE_MAX_BYTES, InputFileError, fileReader, readInputFile } from './input-file';
import { planFromInput, parseExperimentText } from './load';
import { mergeExperimentInput, parseExperiment } from './parse';
import { regressionPreset, xorPreset } from './presets';
import { MAX_NESTING, YAML_MAX_ALIASES, YAML_MAX_CHARS } from './text-formats';
import { ExperimentError } from './validate';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'metatwin-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `f` throws (failing the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** The time `f` takes (ms) and the error it throws. */
function timed(f: () => unknown): { ms: number; error: Error } {
  const start = performance.now();
  const error = thrown(f);
  return { ms: performance.now() - start, error };
}

describe('readInputFile: only regular files, within their cap', () => {
  it('refuses /dev/zero as a character device, at once', () => {
    const { ms, error } = timed(() => readInputFile('/dev/zero', 'network'));
    expect(error).toBeInstanceOf(InputFileError);
    expect(error.message).toBe('/dev/zero: must be a regular file (a network file), got a character device');
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const { ms, error } = timed(() => readInputFile(fifo, 'experiment'));
    expect(error.message).toBe(`${fifo}: must be a regular file (a experiment file), got a FIFO (named pipe)`);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a directory, naming it', () => {
    expect(thrown(() => readInputFile(dir, 'csv')).message).toBe(`${dir}: must be a regular file (a csv file), got a directory`);
  });

  it('refuses a missing file with its error code', () => {
    const error = thrown(() => readInputFile(join(dir, 'missing.json'), 'chip')) as InputFileError;
    expect(error.code).toBe('ENOENT');
    expect(error.message).toBe(`${join(dir, 'missing.json')}: must be a readable file, got no such file (ENOENT)`);
  });

  it('refuses a file over its cap from its size alone, without reading it', () => {
    // Sparse: 1 GiB the disk does not hold. Reading it would take seconds and a GiB of memory.
    const big = join(dir, 'big.json');
    closeSync(openSync(big, 'w'));
    truncateSync(big, 1024 ** 3);
    const { ms, error } = timed(() => readInputFile(big, 'network'));
    expect(error.message).toBe(`${big}: must be at most 24 MiB (the cap on a network file), got a file of 1024 MiB`);
    expect(ms).toBeLessThan(500);
    // One byte over the cap is over; the cap itself is read.
    const edge = join(dir, 'edge.csv');
    writeFileSync(edge, ' '.repeat(INPUT_FILE_MAX_BYTES.csv + 1));
    expect(thrown(() => readInputFile(edge, 'csv')).message).toMatch(/must be at most 8 MiB \(the cap on a csv file\), got a file of 8\.0 MiB$/);
    truncateSync(edge, INPUT_FILE_MAX_BYTES.csv);
    expect(readInputFile(edge, 'csv')).toHaveLength(INPUT_FILE_MAX_BYTES.csv);
  });

  it('caps YAML experiment and study files at YAML_MAX_CHARS, JSON ones at their kind cap', () => {
    const yaml = join(dir, 'big.yaml');
    writeFileSync(yaml, `name: x\ndescription: "${'a'.repeat(YAML_MAX_CHARS)}"\n`);
    expect(thrown(() => readInputFile(yaml, 'study')).message).toMatch(/must be at most 1 MiB \(the cap on a YAML study file\)/);
    const json = join(dir, 'big-but-fine.json');
    writeFileSync(json, JSON.stringify({ name: 'x', description: 'a'.repeat(YAML_MAX_CHARS) }));
    expect(JSON.parse(readInputFile(json, 'study'))).toMatchObject({ name: 'x' });
  });

  it('reads a regular file as UTF-8 without its byte-order mark', () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, '\ufeff{"name": "é"}');
    expect(readInputFile(file, 'experiment')).toBe('{"name": "é"}');
  });
});

describe('files an experiment names, read through fileReader', () => {
  const ctx = (): { readText: ReturnType<typeof fileReader> } => ({ readText: fileReader(dir) });
  const regression = (change: Record<string, unknown>): unknown => mergeExperimentInput(regressionPreset(), change);

  it(`refuses a CSV of 10⁶ rows at row ${CSV_ROWS_MAX + 1}, quickly`, () => {
    writeFileSync(join(dir, 'million.csv'), 'v,label\n' + '0.1,0.2\n'.repeat(1_000_000));
    const { ms, error } = timed(() => parseExperiment(regression({ dataset: { csv: 'million.csv' } }), ctx()));
    expect(error).toBeInstanceOf(ExperimentError);
    expect(error.message).toBe(`dataset.csv(million.csv) line ${CSV_ROWS_MAX + 2}: must hold at most ${CSV_ROWS_MAX} datapoints (CSV_ROWS_MAX), got datapoint ${CSV_ROWS_MAX + 1}`);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses a network file of more edges than a signal carries before parsing it', () => {
    writeFileSync(join(dir, 'huge-net.json'), `{"nodes": 2, "edges": [${'[0,1],'.repeat(1_048_576)}[0,1]]}`);
    const { ms, error } = timed(() => parseExperiment(regression({ network: { file: 'huge-net.json' } }), ctx()));
    expect(error.message).toBe('network.file: must list at most 1048575 edges (the signal contract\'s most), holds more, got "huge-net.json"');
    expect(ms).toBeLessThan(2000);
  });

  it('/etc/passwd as a network, CSV, chip or experiment file: an error that quotes none of it', () => {
    const passwd = readFileSync('/etc/passwd', 'utf8');
    const lines = passwd.split('\n').filter((l) => l.length > 0);
    // Each entry's "name:x:uid" and every path in it (home directories, shells).
    const fields = [...new Set(lines.flatMap((l) => [l.split(':').slice(0, 3).join(':'), ...l.split(':').filter((f) => f.includes('/') && f.length >= 5)]))];
    const errors = [
      thrown(() => parseExperiment(regression({ network: { file: '/etc/passwd' } }), ctx())),
      thrown(() => parseExperiment(regression({ dataset: { csv: '/etc/passwd' } }), ctx())),
      thrown(() => parseExperiment(mergeExperimentInput(xorPreset(), { imperfections: { chip: '/etc/passwd' } }), ctx())),
      thrown(() => parseExperimentText(readInputFile('/etc/passwd', 'experiment'), '/etc/passwd')),
      thrown(() => parseExperimentText(readInputFile('/etc/passwd', 'experiment'), 'passwd.yaml')),
    ];
    expect(errors.map((e) => e.message)).toEqual([
      'network.file: must hold a JSON edge list {nodes, edges} (a syntax error at line 1, column 1), got "/etc/passwd"',
      expect.stringMatching(/^dataset\.csv\(\/etc\/passwd\) line 2: must hold 1 input voltage\(s\) and a label, got 1 cell$/),
      'imperfections.chip: must hold a JSON chip file (a syntax error at line 1, column 1), got "/etc/passwd"',
      '/etc/passwd: must be valid JSON, got a syntax error at line 1, column 1',
      expect.stringMatching(
        /^passwd\.yaml: must (be valid YAML, got a syntax error at line \d+, column \d+ \([A-Z_]+\)|hold a YAML mapping of fields, got a string of \d+ characters)$/,
      ),
    ]);
    for (const e of errors) {
      for (const l of lines) expect(e.message).not.toContain(l);
      for (const f of fields) expect(e.message.replace('/etc/passwd', '')).not.toContain(f);
    }
  });

  it('names what a named file is when it is not one to read, and a missing one by its code', () => {
    const regression = (change: Record<string, unknown>): unknown => mergeExperimentInput(regressionPreset(), change);
    expect(thrown(() => parseExperiment(regression({ network: { file: '/dev/zero' } }), ctx())).message).toBe(
      'network.file: must be a regular file (a network file) (a character device), got "/dev/zero"',
    );
    expect(thrown(() => parseExperiment(regression({ dataset: { csv: '.' } }), ctx())).message).toBe('dataset.csv: must be a regular file (a csv file) (a directory), got "."');
    expect(thrown(() => parseExperiment(regression({ dataset: { csv: 'missing.csv' } }), ctx())).message).toBe('dataset.csv: must be a readable file (ENOENT), got "missing.csv"');
  });

  it('describes, never quotes, the values of a JSON network or chip file', () => {
    const secret = 'hunter2-SECRET';
    writeFileSync(join(dir, 'net-secret.json'), JSON.stringify({ nodes: secret, edges: [[0, 1]] }));
    writeFileSync(join(dir, 'net-key.json'), JSON.stringify({ nodes: 4, edges: [[0, 1]], [secret]: 1 }));
    writeFileSync(join(dir, 'net-pair.json'), JSON.stringify({ nodes: 4, edges: [[0, 1, secret]] }));
    writeFileSync(join(dir, 'chip-secret.json'), JSON.stringify({ format: secret }));
    const messages = [
      thrown(() => parseExperiment(regression({ network: { file: 'net-secret.json' } }), ctx())).message,
      thrown(() => parseExperiment(regression({ network: { file: 'net-key.json' } }), ctx())).message,
      thrown(() => parseExperiment(regression({ network: { file: 'net-pair.json' } }), ctx())).message,
      thrown(() => parseExperiment(mergeExperimentInput(xorPreset(), { imperfections: { chip: 'chip-secret.json' } }), ctx())).message,
    ];
    expect(messages).toEqual([
      'network.file(net-secret.json).nodes: must be an integer ≥ 2, got a string of 14 characters',
      'network.file(net-key.json): must hold only known fields (nodes, edges), got a field of another name',
      'network.file(net-pair.json).edges[0]: must be a pair [a, b], got an array of 3 entries',
      'imperfections.chip.format: must be "metatwin-chip/1", got a string of 14 characters',
    ]);
    for (const m of messages) expect(m).not.toContain(secret);
  });
});

describe('NaN and Infinity are named, not "null"', () => {
  const yaml = (text: string): unknown => planFromInput(parseExperimentText(text, 'x.yaml'), {}, { readText: fileReader(dir) });

  it.each(
    [
      ['preset: xor\nclamp: { kind: differential, eta: .nan }', 'clamp.eta: must be in (0, 1], got NaN'],
      ['preset: xor\nclamp: { kind: differential, eta: .inf }', 'clamp.eta: must be in (0, 1], got Infinity'],
      ['preset: xor\nseed: -.inf', 'seed: must be an integer in 0..4294967295, got -Infinity'],
      ['preset: xor\ndataset: { inputs: [[.nan]], labels: [0] }', 'dataset.inputs[0]: must hold 2 voltages (one per input node), got [NaN]'],
      ['preset: xor\nschedule: { time_s: 1, bogus: [.inf, -.inf, .nan] }', expect.stringMatching(/^schedule\.bogus: is not a known field .*, got \[Infinity,-Infinity,NaN\]$/)],
    ].map(([text, message]) => [text.replace(/\n/g, '; '), text, message]),
  )('%s', (_name, text, message) => {
    const error = thrown(() => yaml(text));
    expect(error).toBeInstanceOf(ExperimentError);
    expect(error.message).toEqual(message);
  });

  it('in a CSV cell', () => {
    writeFileSync(join(dir, 'nan.csv'), 'v,label\n0.1,nan\n');
    writeFileSync(join(dir, 'inf.csv'), '0.1,-Infinity\n');
    writeFileSync(join(dir, 'overflow.csv'), '0.1,1e999\n');
    const run = (csv: string): string => thrown(() => parseExperiment(mergeExperimentInput(regressionPreset(), { dataset: { csv } }), { readText: fileReader(dir) })).message;
    expect(run('nan.csv')).toBe('dataset.csv(nan.csv) line 2 column 2: must be a number of volts, got NaN');
    expect(run('inf.csv')).toBe('dataset.csv(inf.csv) line 1 column 2: must be a number of volts, got -Infinity');
    expect(run('overflow.csv')).toBe('dataset.csv(overflow.csv) line 1 column 2: must be a number of volts, got a number too large to hold (Infinity)');
  });
});

describe('YAML aliases and nesting, for experiment and study files alike', () => {
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcd'[i]}`).join(', ')}]`)].join('\n');

  it(`refuses more than ${YAML_MAX_ALIASES} alias expansions (a "billion laughs" file) at once`, () => {
    const { ms, error } = timed(() => parseExperimentText(laughs, 'study.yaml'));
    expect(error.message).toBe(`study.yaml: must be valid YAML, got more alias expansions than the ${YAML_MAX_ALIASES} YAML_MAX_ALIASES`);
    expect(ms).toBeLessThan(1000);
    // A few aliases are YAML as usual.
    expect(parseExperimentText('base: &b { schedule: { time_s: 1 } }\nother: *b', 'x.yaml')).toEqual({ base: { schedule: { time_s: 1 } }, other: { schedule: { time_s: 1 } } });
  });

  it(`refuses nesting past ${MAX_NESTING} in YAML and JSON, and an alias inside its own anchor`, () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(parseExperimentText(`{"a": ${deep(MAX_NESTING - 1)}}`, 'x.json')).toBeDefined();
    for (const [text, name] of [
      [`{"a": ${deep(MAX_NESTING)}}`, 'x.json'],
      [`a: ${deep(MAX_NESTING)}`, 'x.yaml'],
      [`{"a": ${deep(1_000_000)}}`, 'x.json'],
      [`a: ${deep(20_000)}`, 'x.yaml'],
      ['a: &a [*a]', 'x.yaml'],
    ]) {
      const error = thrown(() => parseExperimentText(text, name));
      expect(error).toBeInstanceOf(ExperimentError);
      expect(error.message).toMatch(/^x\.(json|yaml): must be valid (JSON|YAML), got (objects or arrays nested more than 64 deep|nesting deeper than the YAML parser can follow)/);
    }
  });

  it('refuses a __proto__ key, which merging would turn into a prototype', () => {
    expect(thrown(() => parseExperimentText('{"preset": "xor", "__proto__": {"seed": 3}}', 'x.json')).message).toBe(
      'x.json: must be valid JSON, got a key "__proto__", which no field has',
    );
  });

  it('names a syntax error by line and column without quoting the line', () => {
    const yamlError = thrown(() => parseExperimentText('name: x\nclamp: b: c hunter2', 'x.yaml')).message;
    expect(yamlError).toBe('x.yaml: must be valid YAML, got a syntax error at line 2, column 8 (BLOCK_AS_IMPLICIT_KEY)');
    const jsonError = thrown(() => parseExperimentText('{\n  "name": hunter2\n}', 'x.json')).message;
    expect(jsonError).toBe('x.json: must be valid JSON, got a syntax error at line 2, column 11');
  });
});
