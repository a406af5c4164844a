/**
 * Loads the golden vectors captured from keepalived 2.2.7 by scripts/capture-vectors.sh (test/vectors/*.hex + *.json).
 * Test helper, not a test file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Directory holding the vectors (source tree, not dist). */
export const VECTOR_DIR = process.env['KTS_ROOT']
  ? join(process.env['KTS_ROOT'], 'test', 'vectors')
  : fileURLToPath(new URL('../../../../test/vectors/', import.meta.url));

/** The JSON companion of a VRRP advert vector. */
export interface AdvertVectorJson {
  readonly description: string;
  readonly vrrpOffset: number;
  /** v3 unicast: which pseudo-header the sender used ('mcast-group' = keepalived old_unicast_checksum). */
  readonly checksum4?: 'rfc' | 'mcast-group';
  readonly ip: { source: string; destination: string; ttl: number; tos?: number; ipId?: number; ipChecksum?: number };
  readonly advert: {
    version: 2 | 3;
    type: number;
    vrid: number;
    priority: number;
    family: 4 | 6;
    addresses: string[];
    advertIntervalCs: number;
    authType: number;
    authData?: string;
    checksum: number;
  };
}

/** The JSON companion of an IPsec-AH advert vector (scripts/capture-vectors.sh). */
export interface AhVectorJson extends AdvertVectorJson {
  readonly ahOffset: number;
  readonly password: string;
  readonly unicast: boolean;
  readonly ip: { source: string; destination: string; ttl: number; tos: number; ipId: number; ipChecksum: number };
  readonly ah: { nextHeader: number; payloadLength: number; spi: string; sequence: number; icv: string };
}

/** One vector: name, whole IP packet bytes, expectations. */
export interface Vector<J> {
  readonly name: string;
  readonly packet: Buffer;
  readonly json: J;
}
/** One IPsec-AH advert vector. */
export type AhVector = Vector<AhVectorJson>;
/** One advert vector. */
export type AdvertVector = Vector<AdvertVectorJson>;

/** Reads a .hex file (whitespace ignored). */
export function readHex(path: string): Buffer {
  return Buffer.from(readFileSync(path, 'utf8').replace(/\s+/g, ''), 'hex');
}

function readVectors<J>(pattern: RegExp): Vector<J>[] {
  return readdirSync(VECTOR_DIR)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      return { name, packet: readHex(join(VECTOR_DIR, f)), json: JSON.parse(readFileSync(join(VECTOR_DIR, `${name}.json`), 'utf8')) as J };
    });
}

/** Every IPsec-AH advert vector (files starting with ah-). */
export function ahVectors(): AhVector[] {
  return readVectors<AhVectorJson>(/^ah-.*\.hex$/);
}

/** Every VRRP advert vector (files starting with v2- or v3-). */
export function advertVectors(): AdvertVector[] {
  return readVectors<AdvertVectorJson>(/^v[23]-.*\.hex$/);
}
