import type { KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createReflectorCache } from './reflector-cache.ts';

describe('createReflectorCache', () => {
  it('keeps objects without their managedFields', () => {
    const cache = createReflectorCache<KubernetesObject>(pino({ level: 'silent' }));
    cache.apply({
      metadata: {
        name: 'one',
        namespace: 'ns',
        resourceVersion: '1',
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
      },
    });
    const stored = cache.store.get('ns/one');
    expect(stored?.metadata?.name).toBe('one');
    expect(stored?.metadata && 'managedFields' in stored.metadata).toBe(false);
  });
});
