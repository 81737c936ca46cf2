import { describe, expect, it } from 'vitest';
import type { BackupServiceResource } from '../resources.ts';
import { servicePollIntervalMs } from './poll-interval.ts';

const service = (pollInterval: string | undefined) =>
  ({ spec: { pollInterval } }) as Pick<BackupServiceResource, 'spec'>;

describe('servicePollIntervalMs', () => {
  it.each([
    { reason: 'the spec value', poll: '1m30s', want: 90_000 },
    { reason: 'a malformed value falls back to the default', poll: 'soon', want: 30_000 },
    { reason: 'never below 1 s', poll: '10ms', want: 1_000 },
    { reason: "unset follows the operator's flag", poll: undefined, want: 30_000 },
  ])('$reason', ({ poll, want }) => {
    expect(servicePollIntervalMs(service(poll), 30_000)).toBe(want);
  });
});
