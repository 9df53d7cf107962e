// CRC-32 (the gzip one) of two byte strings put end to end, from the CRC of each and the length of
// the second: the kept end of a body (gzip-body.ts) is never read again to checksum the whole.
//
// The arithmetic is over polynomials with coefficients in GF(2), bit-reflected as gzip's CRC is:
// appending n bytes to a message multiplies its CRC by x^(8n) modulo the CRC polynomial, so
// crc(a + b) = crc(a) · x^(8·|b|) mod P  xor  crc(b). `shiftFor(n)` makes the x^(8n) factor once
// per length; `combine` is then one multiplication.

/** The CRC-32 polynomial, reflected. */
const POLY = 0xedb88320;

/** a · b modulo POLY (both reflected: bit 31 is the x^0 coefficient). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= b;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod POLY for k = 0…31: x^(8n) is a product of these, one per set bit of 8n. */
const POWERS: number[] = [];
{
  let power = 0x40000000; // x^1
  for (let k = 0; k < 32; k++) {
    POWERS.push(power);
    power = multiplyModP(power, power);
  }
}

/** x^(8·length) mod POLY: what appending `length` bytes multiplies a CRC by. */
export function shiftFor(length: number): number {
  let result = 0x80000000; // x^0
  // 8·length, one bit of it at a time (lengths here are far below 2^50, so floats stay exact).
  let n = length * 8;
  for (let k = 0; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = multiplyModP(POWERS[k % 32]!, result);
  }
  return result;
}

/** CRC-32 of `a` followed by `b`, given crc(a), crc(b) and shiftFor(b's length). */
export function combineCrc32(crcA: number, crcB: number, shiftB: number): number {
  return (multiplyModP(shiftB, crcA) ^ crcB) >>> 0;
}
