import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newBearerToken, newSecretUlid, secretRandomBytes } from '../../src/secret-tokens.ts';

/**
 * Capabilities draw their bytes from a pool the CSPRNG refills 4 KiB at a time (src/random-pool.ts,
 * src/secret-tokens.ts, docs/performance.md, "Eighteenth round"). What a pool could get wrong: hand out the same bytes
 * twice, or bytes it has already zeroed, at the point where a draw meets the end of the pool.
 */
describe('the CSPRNG pool behind capabilities', () => {
  test('draws of every size across many refills never repeat and are never zeroed', () => {
    // 7, 12, 16 and 32 bytes do not divide 4,096: draws keep arriving at the pool's end part-way.
    for (const size of [7, 12, 16, 32]) {
      const draws = Array.from({ length: 3000 }, () => secretRandomBytes(size));
      assert.equal(new Set(draws.map((bytes) => bytes.toString('hex'))).size, draws.length, `${size}-byte draws repeated`);
      const zeroBytes = draws.reduce((count, bytes) => count + bytes.filter((byte) => byte === 0).length, 0);
      // A uniform byte is zero 1 time in 256: 3,000 draws of 7 bytes hold about 82 zero bytes.
      const expected = (draws.length * size) / 256;
      assert.ok(zeroBytes < expected * 2, `${zeroBytes} zero bytes in ${draws.length} draws of ${size} (about ${Math.round(expected)} expected)`);
      assert.ok(draws.every((bytes) => bytes.length === size));
    }
  });

  test('each bit of a draw is set about half the time', () => {
    const draws = Array.from({ length: 2000 }, () => secretRandomBytes(16));
    for (let bit = 0; bit < 128; bit++) {
      const ones = draws.filter((bytes) => ((bytes[bit >> 3] as number) >> (bit & 7)) & 1).length;
      assert.ok(ones > 850 && ones < 1150, `bit ${bit} is set in ${ones} of 2,000 draws`);
    }
  });

  test('a draw larger than the pool comes whole from the CSPRNG', () => {
    const large = secretRandomBytes(10_000);
    assert.equal(large.length, 10_000);
    assert.ok(large.subarray(9_000).some((byte) => byte !== 0), 'the end of a large draw is random');
  });

  test('states and bearer tokens drawn in turn are all distinct', () => {
    const tokens = Array.from({ length: 500 }, () => [newSecretUlid('st'), newBearerToken()]).flat();
    assert.equal(new Set(tokens).size, tokens.length);
  });
});
