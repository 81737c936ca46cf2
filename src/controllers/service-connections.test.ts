import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { BackupClientOptions } from '../backup-api/index.ts';
import type { BackupServiceResource } from './resources.ts';
import { createStore } from './runtime/store.ts';
import { CONNECTION_ERROR_CODES, ConnectionError, createServiceConnections } from './service-connections.ts';

const service = (spec: Partial<BackupServiceResource['spec']> = {}): BackupServiceResource =>
  ({
    apiVersion: 'cbbs.dev/v1alpha1',
    kind: 'BackupService',
    metadata: { name: 'cb', namespace: 'ns' },
    spec: {
      endpoints: ['http://cb:8097'],
      credentialsSecretRef: { name: 'creds', usernameKey: 'username', passwordKey: 'password' },
      pollInterval: '30s',
      ...spec,
    },
  }) as BackupServiceResource;

const secret = (name: string, data: Record<string, string>, resourceVersion = '1'): V1Secret => ({
  metadata: { name, namespace: 'ns', resourceVersion },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

function setup() {
  const services = createStore<BackupServiceResource>();
  const secrets = createStore<V1Secret>();
  const made: { options: BackupClientOptions; closed: boolean }[] = [];
  const connections = createServiceConnections({
    services,
    secrets,
    createClient: ((options: BackupClientOptions) => {
      const entry = { options, closed: false };
      made.push(entry);
      return {
        close: async () => {
          entry.closed = true;
        },
      };
    }) as never,
  });
  return { services, secrets, made, connections };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof ConnectionError ? err.code : `unexpected ${String(err)}`;
  }
}

describe('service connections', () => {
  it.each([
    { reason: 'no BackupService', objects: [] as string[], code: CONNECTION_ERROR_CODES.serviceNotFound },
    { reason: 'no credentials Secret', objects: ['service'], code: CONNECTION_ERROR_CODES.secretNotFound },
    {
      reason: 'a Secret without the password key',
      objects: ['service', 'partial-secret'],
      code: CONNECTION_ERROR_CODES.secretKeyMissing,
    },
  ])('says what is missing: $reason', ({ objects, code }) => {
    const { services, secrets, connections } = setup();
    if (objects.includes('service')) services.upsert(service());
    if (objects.includes('partial-secret')) secrets.upsert(secret('creds', { username: 'admin' }));
    expect(codeOf(() => connections.get('ns', 'cb'))).toBe(code);
  });

  it('builds one client per service and reuses it while nothing changes', () => {
    const { services, secrets, made, connections } = setup();
    services.upsert(service());
    secrets.upsert(secret('creds', { username: 'admin', password: 'pw' }));
    const a = connections.get('ns', 'cb');
    const b = connections.get('ns', 'cb');
    expect(a.client).toBe(b.client);
    expect(made).toHaveLength(1);
    expect(made[0]?.options).toMatchObject({
      urls: ['http://cb:8097'],
      auth: { username: 'admin', password: 'pw' },
    });
  });

  it('replaces the client and closes the old one when the Secret is rotated', () => {
    const { services, secrets, made, connections } = setup();
    services.upsert(service());
    secrets.upsert(secret('creds', { username: 'admin', password: 'old' }));
    connections.get('ns', 'cb');
    // A resourceVersion bump without a content change keeps the client.
    secrets.upsert(secret('creds', { username: 'admin', password: 'old' }, '2'));
    connections.get('ns', 'cb');
    expect(made).toHaveLength(1);
    secrets.upsert(secret('creds', { username: 'admin', password: 'new' }, '3'));
    connections.get('ns', 'cb');
    expect(made).toHaveLength(2);
    expect(made[0]?.closed).toBe(true);
    expect(made[1]?.options.auth.password).toBe('new');
  });

  it('passes TLS material from Secrets and closes clients on release', () => {
    const { services, secrets, made, connections } = setup();
    services.upsert(
      service({
        endpoints: ['https://cb:18097'],
        tls: {
          caSecretRef: { name: 'ca', key: 'ca.crt' },
          clientCertSecretRef: { name: 'client', certKey: 'tls.crt', keyKey: 'tls.key' },
          insecureSkipVerify: false,
        },
      }),
    );
    secrets.upsert(secret('creds', { username: 'admin', password: 'pw' }));
    secrets.upsert(secret('ca', { 'ca.crt': 'CA PEM' }));
    expect(codeOf(() => connections.get('ns', 'cb'))).toBe(CONNECTION_ERROR_CODES.secretNotFound);
    secrets.upsert(secret('client', { 'tls.crt': 'CERT', 'tls.key': 'KEY' }));
    connections.get('ns', 'cb');
    expect(made[0]?.options.tls).toEqual({ ca: 'CA PEM', cert: 'CERT', key: 'KEY' });
    connections.release('ns', 'cb');
    expect(made[0]?.closed).toBe(true);
  });

  it.each(['http://cb:80970', 'http://admin:s3cret@cb:8097'])(
    'turns an endpoint the client refuses (%s) into an InvalidEndpoint ConnectionError without the credentials',
    async (endpoint) => {
      const services = createStore<BackupServiceResource>();
      const secrets = createStore<V1Secret>();
      // The real client factory: it is the one that refuses these URLs.
      const connections = createServiceConnections({ services, secrets });
      services.upsert(service({ endpoints: [endpoint] }));
      secrets.upsert(secret('creds', { username: 'admin', password: 'pw' }));
      let caught: unknown;
      try {
        connections.get('ns', 'cb');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConnectionError);
      expect((caught as ConnectionError).code).toBe(CONNECTION_ERROR_CODES.invalidEndpoint);
      expect((caught as ConnectionError).message).toContain('BackupService ns/cb');
      expect((caught as ConnectionError).message).not.toContain('s3cret');
      await connections.close();
    },
  );

  it('does not hand out a closed client after settings that could not be built are reverted', () => {
    const services = createStore<BackupServiceResource>();
    const secrets = createStore<V1Secret>();
    const made: { closed: boolean }[] = [];
    const connections = createServiceConnections({
      services,
      secrets,
      createClient: ((options: BackupClientOptions) => {
        if (options.urls.some((u) => u.endsWith(':80970'))) throw new TypeError('port out of range');
        const entry = { closed: false };
        made.push(entry);
        return {
          close: async () => {
            entry.closed = true;
          },
          entry,
        };
      }) as never,
    });
    services.upsert(service());
    secrets.upsert(secret('creds', { username: 'admin', password: 'pw' }));
    connections.get('ns', 'cb');
    services.upsert(service({ endpoints: ['http://cb:80970'] }));
    expect(codeOf(() => connections.get('ns', 'cb'))).toBe(CONNECTION_ERROR_CODES.invalidEndpoint);
    services.upsert(service());
    const { client } = connections.get('ns', 'cb');
    expect((client as unknown as { entry: { closed: boolean } }).entry.closed).toBe(false);
    expect(made.map((m) => m.closed)).toEqual([true, false]);
  });
});
