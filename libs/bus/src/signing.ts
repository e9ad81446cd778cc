/**
 * Optional signatures on stored batches: each service signs what it appends with its own
 * nkey (an Ed25519 key in NATS's encoding: a seed `S…`, a public key `U…`), and every
 * receiver verifies a batch with the public key of the source its subject names. A batch
 * whose signature is missing or wrong is dead-lettered: so even a client allowed to publish
 * on a source's subject cannot speak for it without its seed.
 *
 * What is signed: the batch's run, source, sequence numbers and its records as JSON, one
 * signature per batch (batches grow under load, so the cost per signal falls as the load
 * rises). The signature travels inside the batch, as `SIGNATURE_KEY` in the first record's
 * data, because the stored form has no other room for it; the receiver takes it out before
 * anything sees the signal. Ed25519 signatures are deterministic, so these are exactly the
 * signatures nkeys.js makes, made with node's crypto (tweetnacl, which nkeys.js uses, takes
 * about 25 ms a signature here: too slow for a run's batches).
 *
 * Configuration (env): METATWIN_SIGNING_SEED, this process's seed; METATWIN_SIGNING_KEYS,
 * `supervisor=U…,edge-physics=U…,clamping=U…,measurement=U…`. With keys set, every source
 * must have one and every batch received must verify; with a seed, everything sent is
 * signed. Neither set: no signatures (the default).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { SOURCES, type Source } from '@metatwin/contracts';

/** The data key of a batch's first record that carries the batch's signature (base64url). */
export const SIGNATURE_KEY = 'batchSignature';

/** nkey prefixes (nkeys.js Prefix): the first byte(s) of the decoded key. */
const PREFIX_SEED = 18 << 3; // 'S'
const PREFIX_USER = 20 << 3; // 'U'
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** PKCS#8 and SPKI DER headers of a raw Ed25519 key (RFC 8410). */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export class SigningConfigError extends Error {}

/** Buffer.concat, typed for Buffers (node 20's types and TypeScript 5.9 disagree about Uint8Array). */
function concat(...parts: Buffer[]): Buffer {
  const out = Buffer.alloc(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[at + i] = p[i];
    at += p.length;
  }
  return out;
}

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);

function crc16(bytes: Buffer): number {
  // CRC-16/XMODEM, as nkeys checks its keys.
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32Decode(text: string, what: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new SigningConfigError(`${what}: not an nkey (base32 letters A–Z, 2–7 only)`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The key bytes of an nkey, its checksum checked. Never echoes the key (a seed is a secret). */
function decodeNkey(text: string, what: string): Buffer {
  const raw = base32Decode(text.trim(), what);
  if (raw.length < 4) throw new SigningConfigError(`${what}: too short for an nkey`);
  const body = raw.subarray(0, raw.length - 2);
  if (crc16(body) !== raw.readUInt16LE(raw.length - 2)) throw new SigningConfigError(`${what}: checksum does not match (a mistyped or cut nkey)`);
  return body;
}

/** An nkey user public key (`U…`) for raw Ed25519 public key bytes. */
function encodeUserKey(raw: Buffer): string {
  const body = concat(Buffer.of(PREFIX_USER), raw);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body));
  return base32Encode(concat(body, crc));
}

/** A private key from an nkey seed (`S…`, any key type), and its user public key. */
export function keyFromSeed(seed: string, what = 'signing seed'): { readonly key: KeyObject; readonly publicKey: string } {
  const body = decodeNkey(seed, what);
  if (body.length !== 34 || (body[0] & 0xf8) !== PREFIX_SEED) throw new SigningConfigError(`${what}: not an nkey seed (it starts with S and decodes to 32 key bytes)`);
  const key = createPrivateKey({ key: concat(PKCS8_ED25519, body.subarray(2)), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return { key, publicKey: encodeUserKey(spki.subarray(spki.length - 32)) };
}

/** A public key object from an nkey user public key (`U…`). */
export function keyFromPublic(publicKey: string, what = 'public key'): KeyObject {
  const body = decodeNkey(publicKey, what);
  if (body.length !== 33 || body[0] !== PREFIX_USER) throw new SigningConfigError(`${what}: not an nkey user public key (it starts with U and decodes to 32 key bytes)`);
  return createPublicKey({ key: concat(SPKI_ED25519, body.subarray(1)), format: 'der', type: 'spki' });
}

/** A batch as signed: what the signature covers. */
export interface SignedContent {
  readonly runId: string;
  readonly source: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The records without the signature. */
  readonly records: ReadonlyArray<unknown>;
}

/** The bytes a batch's signature covers: its header fields and records, as JSON (the stored form reads back to the same JSON). */
function signedBytes(b: SignedContent): Uint8Array {
  return utf8.encode(JSON.stringify([b.runId, b.source, b.firstSeq, b.lastSeq, b.records]));
}
const utf8 = new TextEncoder();

export class BatchSigner {
  private readonly key: KeyObject;
  readonly publicKey: string;

  constructor(seed: string) {
    ({ key: this.key, publicKey: this.publicKey } = keyFromSeed(seed));
  }

  /** The records to store: the first carries the batch's signature. */
  sign(b: SignedContent): unknown[] {
    const signature = sign(null, signedBytes(b), this.key).toString('base64url');
    const records = b.records.slice();
    const first = records[0] as [number, number, number, Record<string, unknown>];
    records[0] = [first[0], first[1], first[2], { ...first[3], [SIGNATURE_KEY]: signature }];
    return records;
  }
}

export type Verified = { readonly ok: true; readonly records: ReadonlyArray<unknown> } | { readonly ok: false; readonly reason: string };

/** A batch's records without their signature, and the signature (null when it has none). */
export function takeSignature(records: ReadonlyArray<unknown>): { readonly records: ReadonlyArray<unknown>; readonly signature: string | null } {
  const first = records[0];
  if (!Array.isArray(first) || first.length !== 4 || typeof first[3] !== 'object' || first[3] === null || !(SIGNATURE_KEY in first[3])) return { records, signature: null };
  const { [SIGNATURE_KEY]: signature, ...data } = first[3] as Record<string, unknown>;
  const out = records.slice();
  out[0] = [first[0], first[1], first[2], data];
  return { records: out, signature: typeof signature === 'string' ? signature : '' };
}

export class BatchVerifier {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  /** `keys`: every source's nkey user public key. */
  constructor(private readonly publicKeys: Readonly<Record<Source, string>>) {
    this.keys = new Map(SOURCES.map((s) => [s, keyFromPublic(publicKeys[s], `signing key of ${s}`)]));
  }

  /** The configured public key of a source. */
  publicKeyOf(source: Source): string {
    return this.publicKeys[source].trim();
  }

  /** The batch's records without the signature when it verifies with the key of `source` (the subject's), else why not. */
  verify(source: string, b: SignedContent): Verified {
    const key = this.keys.get(source);
    if (key === undefined) return { ok: false, reason: `signature: no signing key is configured for source ${source.slice(0, 40)}` };
    const { records, signature } = takeSignature(b.records);
    if (signature === null) return { ok: false, reason: `signature: batch is not signed, and signatures are required (${source}'s key is configured)` };
    const bytes = view(Buffer.from(signature, 'base64url'));
    if (bytes.length !== 64 || !verify(null, signedBytes({ ...b, records }), key, bytes))
      return { ok: false, reason: `signature: batch does not verify with ${source}'s key (forged, altered, or signed by another source)` };
    return { ok: true, records };
  }
}

/** The signer and verifier the environment configures (see the file's comment); each null when not configured. */
export function signingFromEnv(env: NodeJS.ProcessEnv): { readonly signer: BatchSigner | null; readonly verifier: BatchVerifier | null } {
  const seed = env.METATWIN_SIGNING_SEED?.trim();
  const keysText = env.METATWIN_SIGNING_KEYS?.trim();
  const signer = seed ? new BatchSigner(seed) : null;
  if (!keysText) return { signer, verifier: null };
  const keys: Partial<Record<Source, string>> = {};
  for (const part of keysText.split(',')) {
    const [name, key, ...rest] = part.split('=').map((x) => x.trim());
    if (!(SOURCES as readonly string[]).includes(name) || !key || rest.length > 0)
      throw new SigningConfigError(
        `METATWIN_SIGNING_KEYS: each entry must be <source>=<public key> with a source of ${SOURCES.join(', ')}; entry ${JSON.stringify(name.slice(0, 20))} is not`,
      );
    keys[name as Source] = key;
  }
  const missing = SOURCES.filter((s) => keys[s] === undefined);
  if (missing.length > 0) throw new SigningConfigError(`METATWIN_SIGNING_KEYS: no key for ${missing.join(', ')} (every source's key is needed to verify what it sends)`);
  return { signer, verifier: new BatchVerifier(keys as Record<Source, string>) };
}

/** A short fingerprint of a public key, for logs (the key itself is public, but long). */
export const fingerprint = (publicKey: string): string => createHash('sha256').update(publicKey).digest('hex').slice(0, 12);
