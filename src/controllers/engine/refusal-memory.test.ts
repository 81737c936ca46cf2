import { describe, expect, it } from 'vitest';
import { observationDigest, refusalRecord, rememberedRefusal } from './refusal-memory.ts';

const at = Date.parse('2026-12-01T10:00:00Z');
const key = { generation: 3, action: 'create', observed: observationDigest({ state: 'absent' }) };

describe('refusal memory', () => {
  it('stands for the same generation, action and observation', () => {
    const record = refusalRecord(key, { reason: 'ServerRejected', message: 'no' }, at);
    expect(rememberedRefusal(record, key, at + 3_600_000)).toEqual({ kind: 'refused', record });
  });

  it('lets the action through for another generation, action or observation', () => {
    const record = refusalRecord(key, { reason: 'ServerRejected', message: 'no' }, at);
    expect(rememberedRefusal(record, { ...key, generation: 4 }, at).kind).toBe('send');
    expect(rememberedRefusal(record, { ...key, action: 'import' }, at).kind).toBe('send');
    expect(rememberedRefusal(record, { ...key, observed: observationDigest({ state: 'x' }) }, at).kind).toBe(
      'send',
    );
    expect(rememberedRefusal(undefined, key, at).kind).toBe('send');
  });

  it('lets the action through once its re-check time has come', () => {
    const record = refusalRecord(key, { reason: 'Forbidden', message: 'role', recheckAfterMs: 300_000 }, at);
    expect(record.recheckAt).toBe('2026-12-01T10:05:00Z');
    expect(rememberedRefusal(record, key, at + 120_000)).toEqual({
      kind: 'refused',
      record,
      recheckInMs: 180_000,
    });
    expect(rememberedRefusal(record, key, at + 300_000).kind).toBe('send');
  });

  it('digests equal observations equally and different ones differently', () => {
    expect(observationDigest({ a: 1 })).toBe(observationDigest({ a: 1 }));
    expect(observationDigest({ a: 1 })).not.toBe(observationDigest({ a: 2 }));
    expect(observationDigest(undefined)).toHaveLength(32);
  });
});
