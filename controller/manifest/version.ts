// The version of a manifest put without one: like wadm, a ULID (26 characters of Crockford base32:
// 48 bits of milliseconds, then 80 random bits), so versions assigned later sort later. Within one
// millisecond the random part counts up, so even versions assigned together keep their order.

import { randomBytes } from 'node:crypto';

const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARACTERS = 10;
const RANDOM_CHARACTERS = 16;
const RANDOM_LIMIT = 1n << 80n;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, characters: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < characters; i++) {
    out = CROCKFORD_BASE32[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

function freshRandom(): bigint {
  return BigInt(`0x${randomBytes(10).toString('hex')}`);
}

/** The ULID of a time in milliseconds and an 80-bit random part. */
export function ulidOf(time: number, random: bigint): string {
  return encode(BigInt(time), TIME_CHARACTERS) + encode(random, RANDOM_CHARACTERS);
}

/** A new ULID, greater than every one this process made before. */
export function newUlid(now: number = Date.now()): string {
  let time = Math.max(now, lastTime);
  let random = time === lastTime ? lastRandom + 1n : freshRandom();
  if (random >= RANDOM_LIMIT) {
    // 2^80 in one millisecond cannot happen by counting; stay ordered anyway.
    time += 1;
    random = freshRandom();
  }
  lastTime = time;
  lastRandom = random;
  return ulidOf(time, random);
}
