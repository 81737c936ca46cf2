import { describe, expect, it } from 'vitest';
import { classifyPlanError, UnsupportedByServerError, unsupportedByServer } from './refusals.ts';

describe('unsupportedByServer', () => {
  const args = { planName: 'p', usesPrune: true, service: 'cb', version: '7.6.2-3721-enterprise' };

  it('names the feature, the version needed and the version found for PRUNE before 8.0', () => {
    const message = unsupportedByServer({ ...args, profile: '7.6' });
    expect(message).toContain('PRUNE');
    expect(message).toContain('8.0');
    expect(message).toContain('7.6.2-3721-enterprise');
  });

  it('lets the write through on 8.0, without PRUNE, or while the version is unknown', () => {
    expect(unsupportedByServer({ ...args, profile: '8.0' })).toBeUndefined();
    expect(unsupportedByServer({ ...args, usesPrune: false, profile: '7.2' })).toBeUndefined();
    expect(unsupportedByServer({ ...args, version: undefined, profile: undefined })).toBeUndefined();
  });

  it('is a refusal with its own reason', () => {
    expect(classifyPlanError(new UnsupportedByServerError('m'))).toMatchObject({
      reason: 'UnsupportedByServer',
      message: 'm',
    });
  });
});
