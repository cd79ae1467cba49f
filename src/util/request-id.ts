import { randomFillSync } from 'node:crypto';

/**
 * Request ids: UUID version 7 (RFC 9562), time-ordered. The id is the usage ledger's primary key, and random (v4)
 * keys scatter every batch of inserts over the whole index: past a hundred thousand records SQLite's insert cost
 * doubled in our measurement (bench in docs/performance.md), and it keeps growing with the table; time-ordered keys
 * append, and stay flat.
 *
 * Layout: 48-bit Unix milliseconds, version 7, a 12-bit counter that keeps ids made in the same millisecond in order
 * (its start is random, as the RFC's method 3 allows), the variant, and 62 random bits. Random bytes come from a
 * pooled buffer: the `uuid` package's v7 draws fresh bytes for every id, about ten times slower on this hot path.
 */
/** Random bytes per id: 2 to seed the counter, 8 for the 62 random bits after the variant. */
const BYTES = 10;
const POOL_IDS = 256;
const pool = Buffer.alloc(BYTES * POOL_IDS);
let poolIndex = POOL_IDS;
let lastMs = -1;
let counter = 0;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Offset of this id's random bytes in the pool. */
function randomOffset(): number {
  if (poolIndex >= POOL_IDS) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  return BYTES * poolIndex++;
}

export function requestId(now = Date.now()): string {
  const at = randomOffset();
  if (now > lastMs) {
    lastMs = now;
    counter = ((pool[at]! << 8) | pool[at + 1]!) & 0x7ff; // half the range left to count up within the millisecond
  } else {
    counter++;
    if (counter > 0xfff) {
      // More than 4096 ids in one millisecond (or the clock went back): borrow the next millisecond.
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  const high = Math.floor(ms / 0x10000);
  const low = ms % 0x10000;
  const h = (n: number) => HEX[n & 0xff]!;
  return (
    h(high >>> 24) +
    h(high >>> 16) +
    h(high >>> 8) +
    h(high) +
    '-' +
    h(low >>> 8) +
    h(low) +
    '-' +
    h(0x70 | (counter >>> 8)) +
    h(counter) +
    '-' +
    h(0x80 | (pool[at + 2]! & 0x3f)) +
    h(pool[at + 3]!) +
    '-' +
    h(pool[at + 4]!) +
    h(pool[at + 5]!) +
    h(pool[at + 6]!) +
    h(pool[at + 7]!) +
    h(pool[at + 8]!) +
    h(pool[at + 9]!)
  );
}
