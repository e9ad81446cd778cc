/**
 * Reading a file a user names — an experiment or study file, a network edge list, a CSV
 * dataset, a chip file, a circuit — as hostile input, refused quickly and with bounded memory:
 *
 * - only a regular file: /dev/zero, a FIFO, a socket or a directory is refused by what it is
 *   (opened without blocking, so a FIFO with no writer cannot hang the reader, and checked on
 *   the open descriptor, so it cannot be swapped between the check and the read);
 * - at most its kind's cap of bytes (INPUT_FILE_MAX_BYTES), checked with fstat before a byte
 *   is read, and again while reading (a file that grows meanwhile is refused too);
 * - every error names the file and what is wrong with it, never its content.
 *
 * What is read is then parsed by code that caps rows, nodes and edges (csv.ts, parse.ts) and
 * nesting (text-formats.ts).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { YAML_MAX_CHARS } from './text-formats';
import { Described, ExperimentError } from './validate';

export type InputKind = 'experiment' | 'study' | 'network' | 'csv' | 'chip' | 'circuit';

const MiB = 1024 * 1024;

/**
 * Largest file of each kind (bytes). Each is far above a real file and low enough that
 * parsing it stays within a few hundred MB:
 * - experiment 16 MiB: a resolved experiment of a 724×724 lattice (the largest a signal
 *   carries) lists ≈ 10⁶ gates in ≈ 4 MB; the presets are ≈ 1 kB;
 * - study 4 MiB: JOBS_MAX (100,000) listed points of ≈ 40 bytes;
 * - network 24 MiB: the contract's most edges (2²⁰ − 1) as compact pairs [1048574,1048573];
 * - csv 8 MiB: CSV_ROWS_MAX rows even of 256 columns of 3 characters (Iris is 5 kB);
 * - chip 16 MiB: five values per edge for ≈ 150,000 edges (the calibrated board has 32);
 * - circuit 16 MiB: a `metatwin solve` netlist of ≈ 10⁵ elements.
 * YAML files are further capped at YAML_MAX_CHARS (1 MiB): the yaml library is ≈ 100× slower.
 */
export const INPUT_FILE_MAX_BYTES: Readonly<Record<InputKind, number>> = {
  experiment: 16 * MiB,
  study: 4 * MiB,
  network: 24 * MiB,
  csv: 8 * MiB,
  chip: 16 * MiB,
  circuit: 16 * MiB,
};

/** A file that cannot be read as input: names the file, what a file of its kind must be, and what it is (never its content). */
export class InputFileError extends ExperimentError {
  constructor(
    readonly file: string,
    what: string,
    allowed: string,
    /** The system's error code (ENOENT, EACCES, …) when opening or reading failed. */
    readonly code?: string,
  ) {
    super(file, new Described(what), allowed);
    this.name = 'InputFileError';
  }
}

const isYaml = (path: string): boolean => /\.ya?ml$/i.test(path);

/** The cap for a file of `kind` named `path` (bytes). */
export function inputFileCap(path: string, kind: InputKind): number {
  const cap = INPUT_FILE_MAX_BYTES[kind];
  return (kind === 'experiment' || kind === 'study') && isYaml(path) ? Math.min(cap, YAML_MAX_CHARS) : cap;
}

/** The UTF-8 text of the regular file `path` (a leading byte-order mark dropped), within its kind's cap. */
export function readInputFile(path: string, kind: InputKind): string {
  const cap = inputFileCap(path, kind);
  const yaml = cap < INPUT_FILE_MAX_BYTES[kind];
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw systemError(path, err, 'must be a readable file');
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new InputFileError(path, whatItIs(stats), `must be a regular file (a ${kind} file)`);
    if (stats.size > cap) throw new InputFileError(path, `a file of ${bytes(stats.size)}`, tooBig(kind, cap, yaml));
    // One byte more than the size: a file that grew since fstat shows it, and is refused past the cap.
    const buffer = new Uint8Array(Math.min(stats.size, cap) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > cap) throw new InputFileError(path, 'a file that grew past it while read', tooBig(kind, cap, yaml));
    const text = Buffer.from(buffer.buffer, 0, length).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw systemError(path, err, 'must be a readable file');
  } finally {
    closeSync(fd);
  }
}

/** A ParseContext's reader for the files an experiment names, relative to `baseDir` (its own file's directory). */
export function fileReader(baseDir: string): (relativePath: string, kind?: InputKind) => string {
  return (relativePath, kind = 'experiment') => readInputFile(resolve(baseDir, relativePath), kind);
}

function tooBig(kind: InputKind, cap: number, yaml: boolean): string {
  return `must be at most ${bytes(cap)} (the cap on ${yaml ? 'a YAML' : 'a'} ${kind} file)`;
}

function systemError(path: string, err: unknown, allowed: string): InputFileError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'a file it may not read',
    EPERM: 'a file it may not read',
    EISDIR: 'a directory',
    ELOOP: 'a loop of symbolic links',
    ENAMETOOLONG: 'a name too long',
    ENOTDIR: 'a path through something that is not a directory',
  };
  return new InputFileError(path, code === undefined ? 'an error reading it' : `${reason[code] ?? 'an error'} (${code})`, allowed, code);
}

function whatItIs(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function bytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kiB` : `${n} bytes`;
}
