import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlatformError } from '../../src/platforms/errors.ts';
import { stateAfterFailure, type PublishState } from '../../src/platforms/publishing.ts';

const error = (httpStatus: number | null, platformCode = 'x') =>
  new PlatformError({ platform: 'tiktok', kind: 'transient', platformCode, message: 'm', httpStatus });

describe('stateAfterFailure', () => {
  const stored: PublishState = { step: 'init', ids: {}, intent: 'video_init' };

  it('drops the intent when the platform answered with a refusal: the guarded call took no effect', () => {
    assert.deepEqual(stateAfterFailure(stored, error(429)), { step: 'init', ids: {} });
    assert.deepEqual(stateAfterFailure(stored, error(403)), { step: 'init', ids: {} });
    assert.deepEqual(stateAfterFailure(stored, error(200)), { step: 'init', ids: {} }, 'an error body on a 200 is a refusal too');
  });

  it('keeps it when the outcome is unknown: no answer, a 5xx, an unreadable success, or not a platform error', () => {
    assert.equal(stateAfterFailure(stored, error(null, 'timeout')), stored);
    assert.equal(stateAfterFailure(stored, error(502)), stored);
    assert.equal(stateAfterFailure(stored, error(200, 'invalid_response')), stored);
    assert.equal(stateAfterFailure(stored, new Error('socket hang up')), stored);
  });

  it('leaves a state without an intent as it was', () => {
    const plain: PublishState = { step: 'status', ids: { publish_id: 'p' } };
    assert.equal(stateAfterFailure(plain, error(400)), plain);
  });
});
