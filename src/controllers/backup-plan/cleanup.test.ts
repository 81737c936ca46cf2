import { describe, expect, it } from 'vitest';
import type { ControllerDeps } from '../operator.ts';
import type { BackupPlanResource } from '../resources.ts';
import { createPlanCleanup } from './cleanup.ts';

describe('the status of a blocked plan deletion', () => {
  it('keeps the version in use and the retiring ones, so the next attempt deletes them', () => {
    const rollout = { serverPlanName: 'p-v3', retiring: ['p-v2'], switched: [], pending: ['r1'] };
    const obj = {
      metadata: { name: 'p', namespace: 'ns', generation: 3 },
      spec: { managementPolicy: 'Manage', deletionPolicy: 'Delete', serviceRef: { name: 'cb' }, tasks: [] },
      status: { planName: 'p-v3', rollout },
    } as unknown as BackupPlanResource;
    const deps = { timings: { finalizerTimeoutMs: 60_000 } } as unknown as ControllerDeps;
    const status = createPlanCleanup(deps).status?.(
      obj,
      { reason: 'PlanInUse', message: 'in use by r1' } as never,
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(status).toMatchObject({ planName: 'p-v3', rollout });
  });
});
