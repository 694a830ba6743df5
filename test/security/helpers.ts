/** Crockford base32, as ULIDs and OAuth states spell it. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The 26 characters after `<prefix>_` as the 130-bit number they spell. */
export function ulidValue(id: string): bigint {
  const body = id.slice(id.indexOf('_') + 1);
  let value = 0n;
  for (const char of body) {
    const digit = CROCKFORD.indexOf(char);
    if (digit < 0) throw new Error(`${id} is not Crockford base32`);
    value = value * 32n + BigInt(digit);
  }
  return value;
}

export function distance(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}
