import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BackupClient, createBackupClient } from './client.ts';
import { BackupApiError } from './errors.ts';
import { startTestServer, type TestServer } from './test-server.ts';

const BACKUP_NAME = '2020-09-29T21_00_36.511305+01_00';

const plan = {
  name: 'nightly',
  description: 'nightly full',
  services: ['data', 'gsi'],
  tasks: [
    {
      name: 'merge_week',
      task_type: 'MERGE',
      schedule: { job_type: 'MERGE', frequency: 1, period: 'SUNDAY', time: '23:40' },
      merge_options: { offset_start: 0, offset_end: 7 },
      full_backup: false,
    },
  ],
};

const taskRun = {
  task_name: 'BACKUP-0f8c',
  status: 'done',
  start: '2025-01-01T12:04:00.10Z',
  end: '2025-01-01T12:05:00.10Z',
  node_runs: [
    {
      node_id: '1208b19a',
      status: 'done',
      start: '2025-01-01T12:04:00.12Z',
      end: '2025-01-01T12:05:00.00Z',
      progress: 100,
      error_code: 0,
    },
  ],
  error_code: 0,
  type: 'BACKUP',
};

const repository = {
  id: 'repo1',
  plan_name: 'nightly',
  state: 'active',
  archive: '/mnt/backups/repo1',
  repo: '8b623987-9353-48f0-9773-55b124ce9146',
  bucket: { name: 'travel-sample', uuid: '15b15c78' },
  scheduled: { merge_week: { name: 'merge_week', task_type: 'MERGE', next_run: '2025-01-05T23:40:00Z' } },
  running_one_off: { 'BACKUP-0f8c': { ...taskRun, status: 'running', end: '0001-01-01T00:00:00Z' } },
  version: 1,
  health: { healthy: true },
  creation_time: '2025-01-01T12:03:11.52Z',
  update_time: '2025-01-01T12:03:11.52Z',
};

const info = {
  name: repository.repo,
  size: 23806455,
  count: 1,
  backups: [
    {
      date: '2025-01-01T12_04_00.25Z',
      type: 'FULL',
      source: 'http://127.0.0.1:8091',
      events: 0,
      fts_alias: 0,
      size: 23806455,
      buckets: [
        {
          name: 'travel-sample',
          size: 23806449,
          items: 63344,
          mutations: 63344,
          tombstones: 0,
          views_count: 0,
          fts_count: 0,
          index_count: 10,
          analytics_count: 0,
        },
      ],
      complete: true,
      source_cluster_uuid: 'a7ec688d',
    },
  ],
};

interface Row {
  reason: string;
  call: (c: BackupClient) => Promise<unknown>;
  method: string;
  /** Raw request target below the server root, as sent. */
  url: string;
  /** Parsed JSON body expected; undefined = no body at all. */
  body?: unknown;
  reply?: unknown;
  /** Expected resolved value; undefined = void. */
  result?: unknown;
}

const R = '/api/v1/cluster/self/repository';

const rows: Row[] = [
  {
    reason: 'getClusterInfo reads /cluster/self',
    call: (c) => c.getClusterInfo(),
    method: 'GET',
    url: '/api/v1/cluster/self',
    reply: { name: 'self', active: { repo1: repository }, archived: {}, imported: null },
    result: { name: 'self', active: { repo1: repository }, archived: {}, imported: {} },
  },
  {
    reason: 'getConfig reads /config',
    call: (c) => c.getConfig(),
    method: 'GET',
    url: '/api/v1/config',
    reply: { history_rotation_size: 50 },
    result: { history_rotation_size: 50 },
  },
  {
    reason: 'updateConfig POSTs by default',
    call: (c) => c.updateConfig({ history_rotation_size: 20 }),
    method: 'POST',
    url: '/api/v1/config',
    body: { history_rotation_size: 20 },
  },
  {
    reason: 'updateConfig can PATCH like couchbase-cli',
    call: (c) => c.updateConfig({ history_rotation_size: 30 }, { method: 'PATCH' }),
    method: 'PATCH',
    url: '/api/v1/config',
    body: { history_rotation_size: 30 },
  },
  {
    reason: 'getNodesThreadsMap returns the bare map',
    call: (c) => c.getNodesThreadsMap(),
    method: 'GET',
    url: '/api/v1/nodesThreadsMap',
    reply: { cb5c7771: 1 },
    result: { cb5c7771: 1 },
  },
  {
    reason: 'setNodesThreadsMap POSTs the wrapped map',
    call: (c) => c.setNodesThreadsMap({ a: 2 }),
    method: 'POST',
    url: '/api/v1/nodesThreadsMap',
    body: { nodes_threads_map: { a: 2 } },
  },
  {
    reason: 'patchNodesThreadsMap PATCHes the wrapped map',
    call: (c) => c.patchNodesThreadsMap({ b: 0 }),
    method: 'PATCH',
    url: '/api/v1/nodesThreadsMap',
    body: { nodes_threads_map: { b: 0 } },
  },
  {
    reason: 'listPlans reads /plan',
    call: (c) => c.listPlans(),
    method: 'GET',
    url: '/api/v1/plan',
    reply: [plan],
    result: [plan],
  },
  {
    reason: 'getPlan encodes the name',
    call: (c) => c.getPlan('my plan'),
    method: 'GET',
    url: '/api/v1/plan/my%20plan',
    reply: plan,
    result: plan,
  },
  {
    reason: 'createPlan POSTs the body',
    call: (c) => c.createPlan('nightly', { services: ['data'], tasks: plan.tasks as never }),
    method: 'POST',
    url: '/api/v1/plan/nightly',
    body: { services: ['data'], tasks: plan.tasks },
  },
  {
    reason: 'replacePlan PUTs the body',
    call: (c) => c.replacePlan('nightly', { tasks: [] }),
    method: 'PUT',
    url: '/api/v1/plan/nightly',
    body: { tasks: [] },
  },
  {
    reason: 'deletePlan sends DELETE without a body',
    call: (c) => c.deletePlan('nightly'),
    method: 'DELETE',
    url: '/api/v1/plan/nightly',
  },
  {
    reason: 'listRepositories uses the state segment',
    call: (c) => c.listRepositories('archived'),
    method: 'GET',
    url: `${R}/archived`,
    reply: null,
    result: [],
  },
  {
    reason: 'getRepository reads one repository',
    call: (c) => c.getRepository('active', 'repo1'),
    method: 'GET',
    url: `${R}/active/repo1`,
    reply: repository,
    result: repository,
  },
  {
    reason: 'getRepositoryInfo passes limit and offset',
    call: (c) => c.getRepositoryInfo('imported', 'repo1', { limit: 1, offset: 2 }),
    method: 'GET',
    url: `${R}/imported/repo1/info?limit=1&offset=2`,
    reply: info,
    result: info,
  },
  {
    reason: 'getRepositoryInfo without paging sends no query',
    call: (c) => c.getRepositoryInfo('active', 'repo1'),
    method: 'GET',
    url: `${R}/active/repo1/info`,
    reply: info,
    result: info,
  },
  {
    reason: 'createRepository sends plan, archive, bucket and cloud fields',
    call: (c) =>
      c.createRepository('cloud1', {
        plan: 'nightly',
        archive: 's3://bucket/prefix',
        bucket_name: 'travel-sample',
        cloud_staging_dir: '/tmp/staging',
        cloud_credentials_id: 'AKIA',
        cloud_credentials_key: 'secret',
        cloud_region: 'eu-west-1',
        cloud_endpoint: 'http://minio:9000',
        cloud_force_path_style: true,
      }),
    method: 'POST',
    url: `${R}/active/cloud1`,
    body: {
      plan: 'nightly',
      archive: 's3://bucket/prefix',
      bucket_name: 'travel-sample',
      cloud_staging_dir: '/tmp/staging',
      cloud_credentials_id: 'AKIA',
      cloud_credentials_key: 'secret',
      cloud_region: 'eu-west-1',
      cloud_endpoint: 'http://minio:9000',
      cloud_force_path_style: true,
    },
  },
  {
    reason: 'archiveRepository sends the new id',
    call: (c) => c.archiveRepository('repo1', 'repo1-old'),
    method: 'POST',
    url: `${R}/active/repo1/archive`,
    body: { id: 'repo1-old' },
  },
  {
    reason: 'importRepository POSTs to /import',
    call: (c) => c.importRepository({ id: 'imp', repo: 'uuid-1', archive: '/mnt/b' }),
    method: 'POST',
    url: `${R}/import`,
    body: { id: 'imp', repo: 'uuid-1', archive: '/mnt/b' },
  },
  {
    reason: 'deleteRepository passes remove_repository and cloud_versions',
    call: (c) => c.deleteRepository('archived', 'repo1', { removeRepository: true, cloudVersions: false }),
    method: 'DELETE',
    url: `${R}/archived/repo1?remove_repository=true&cloud_versions=false`,
  },
  {
    reason: 'deleteRepository without options sends no query',
    call: (c) => c.deleteRepository('imported', 'imp'),
    method: 'DELETE',
    url: `${R}/imported/imp`,
  },
  {
    reason: 'pauseRepository still sends a JSON body',
    call: (c) => c.pauseRepository('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/pause`,
    body: {},
  },
  {
    reason: 'resumeRepository',
    call: (c) => c.resumeRepository('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/resume`,
    body: {},
  },
  {
    reason: 'changeRepositoryPlan uses the undocumented plan path',
    call: (c) => c.changeRepositoryPlan('repo1', 'weekly'),
    method: 'POST',
    url: `${R}/active/repo1/plan/weekly`,
    body: {},
  },
  {
    reason: 'backup without options sends {}',
    call: (c) => c.backup('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/backup`,
    body: {},
    reply: { task_name: 'BACKUP-1' },
    result: { task_name: 'BACKUP-1' },
  },
  {
    reason: 'backup full sends full_backup',
    call: (c) => c.backup('repo1', { full: true }),
    method: 'POST',
    url: `${R}/active/repo1/backup`,
    body: { full_backup: true },
    reply: { task_name: 'BACKUP-2' },
    result: { task_name: 'BACKUP-2' },
  },
  {
    reason: 'merge everything sends {}',
    call: (c) => c.merge('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/merge`,
    body: {},
    reply: { task_name: 'MERGE-1' },
    result: { task_name: 'MERGE-1' },
  },
  {
    reason: 'merge by backup names',
    call: (c) => c.merge('repo1', { start: BACKUP_NAME, end: BACKUP_NAME }),
    method: 'POST',
    url: `${R}/active/repo1/merge`,
    body: { start: BACKUP_NAME, end: BACKUP_NAME },
    reply: { task_name: 'MERGE-2' },
    result: { task_name: 'MERGE-2' },
  },
  {
    reason: 'merge by day offsets',
    call: (c) => c.merge('repo1', { offset_start: 1, offset_end: 2 }),
    method: 'POST',
    url: `${R}/active/repo1/merge`,
    body: { offset_start: 1, offset_end: 2 },
    reply: { task_name: 'MERGE-3' },
    result: { task_name: 'MERGE-3' },
  },
  {
    reason: 'restore sends every option as given',
    call: (c) =>
      c.restore('archived', 'repo1', {
        target: 'http://10.0.0.1:8091',
        user: 'Administrator',
        password: 'pw',
        start: BACKUP_NAME,
        end: BACKUP_NAME,
        include_data: 'a,b.s',
        exclude_data: 'b.s.c',
        map_data: 'a=b',
        filter_keys: '^k',
        filter_values: 'v$',
        auto_create_buckets: true,
        auto_remove_collections: true,
        enable_bucket_config: true,
        force_updates: true,
        disable_analytics: true,
        disable_data: false,
        disable_eventing: true,
        disable_ft: true,
        disable_gsi_indexes: true,
        disable_views: true,
        replace_ttl: 'all',
        replace_ttl_with: '0',
      }),
    method: 'POST',
    url: `${R}/archived/repo1/restore`,
    body: {
      target: 'http://10.0.0.1:8091',
      user: 'Administrator',
      password: 'pw',
      start: BACKUP_NAME,
      end: BACKUP_NAME,
      include_data: 'a,b.s',
      exclude_data: 'b.s.c',
      map_data: 'a=b',
      filter_keys: '^k',
      filter_values: 'v$',
      auto_create_buckets: true,
      auto_remove_collections: true,
      enable_bucket_config: true,
      force_updates: true,
      disable_analytics: true,
      disable_data: false,
      disable_eventing: true,
      disable_ft: true,
      disable_gsi_indexes: true,
      disable_views: true,
      replace_ttl: 'all',
      replace_ttl_with: '0',
    },
    reply: { task_name: 'restore-1' },
    result: { task_name: 'restore-1' },
  },
  {
    reason: 'examine parses NDJSON timeline lines',
    call: (c) => c.examine('active', 'repo1', { key: 'k1', data_path: 'a\\.b' }),
    method: 'POST',
    url: `${R}/active/repo1/examine`,
    body: { key: 'k1', data_path: 'a\\.b' },
    reply: `${JSON.stringify([{ backup: BACKUP_NAME, document: { value: { x: 1 } } }])}\n`,
    result: { shape: 'timeline', entries: [{ backup: BACKUP_NAME, document: { value: { x: 1 } } }] },
  },
  {
    reason: 'examine parses concatenated document objects',
    call: (c) => c.examine('imported', 'repo1', { key: 'k1', data_path: 'b._default._default' }),
    method: 'POST',
    url: `${R}/imported/repo1/examine`,
    body: { key: 'k1', data_path: 'b._default._default' },
    reply: '{"backup":"b1","key":"k1","value":{"a":"}"}}{"backup":"b2","key":"k1","deleted":true}',
    result: {
      shape: 'documents',
      documents: [
        { backup: 'b1', key: 'k1', value: { a: '}' } },
        { backup: 'b2', key: 'k1', deleted: true },
      ],
    },
  },
  {
    reason: 'taskHistory encodes first so + survives, plus limit, offset and taskName',
    call: (c) =>
      c.taskHistory('active', 'repo1', {
        first: '2020-09-29T13:10:58.100371+01:00',
        limit: 5,
        offset: 0,
        taskName: 'full nightly',
      }),
    method: 'GET',
    url: `${R}/active/repo1/taskHistory?first=2020-09-29T13%3A10%3A58.100371%2B01%3A00&limit=5&offset=0&taskName=full%20nightly`,
    reply: [taskRun],
    result: [taskRun],
  },
  {
    reason: 'taskHistory accepts a Date for first',
    call: (c) => c.taskHistory('archived', 'repo1', { first: new Date('2025-01-01T00:00:00Z') }),
    method: 'GET',
    url: `${R}/archived/repo1/taskHistory?first=2025-01-01T00%3A00%3A00.000Z`,
    reply: [],
    result: [],
  },
  {
    reason: 'deleteBackup percent-encodes + and : in the backup name',
    call: (c) => c.deleteBackup('repo1', '2020-09-29T21:00:36.5+01:00'),
    method: 'DELETE',
    url: `${R}/active/repo1/backups/2020-09-29T21%3A00%3A36.5%2B01%3A00`,
  },
  {
    reason: 'deleteBackup with a real backup name encodes +',
    call: (c) => c.deleteBackup('repo1', BACKUP_NAME),
    method: 'DELETE',
    url: `${R}/active/repo1/backups/2020-09-29T21_00_36.511305%2B01_00`,
  },
  {
    reason: 'prune returns the task name when the server sends one',
    call: (c) => c.prune('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/prune`,
    body: {},
    reply: { task_name: 'PRUNE-1' },
    result: { task_name: 'PRUNE-1' },
  },
  {
    reason: 'prune accepts an empty body',
    call: (c) => c.prune('repo1'),
    method: 'POST',
    url: `${R}/active/repo1/prune`,
    body: {},
    reply: '',
    result: {},
  },
  {
    reason: 'setRetentionSettings sends period and retroactive',
    call: (c) => c.setRetentionSettings('repo1', { period: 30, retroactive: true }),
    method: 'POST',
    url: `${R}/active/repo1/retentionSettings`,
    body: { period: 30, retroactive: true },
  },
  {
    reason: 'setBackupRetention addresses one backup',
    call: (c) => c.setBackupRetention('repo1', BACKUP_NAME, { period: 0 }),
    method: 'POST',
    url: `${R}/active/repo1/retentionSettings/2020-09-29T21_00_36.511305%2B01_00`,
    body: { period: 0 },
  },
  {
    reason: 'listExpiredBackups returns the entries',
    call: (c) => c.listExpiredBackups('active', 'repo1'),
    method: 'GET',
    url: `${R}/active/repo1/expiredBackups`,
    reply: [{ expired_backups: [BACKUP_NAME], expired_backups_with_non_expired_dependents: null }],
    result: [{ expired_backups: [BACKUP_NAME], expired_backups_with_non_expired_dependents: [] }],
  },
];

describe('backup client endpoints', () => {
  let server: TestServer;
  let client: BackupClient;

  beforeAll(async () => {
    server = await startTestServer();
    client = createBackupClient({ urls: [server.url], auth: { username: 'Administrator', password: 'pw' } });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  it.each(rows)('$reason', async (row) => {
    server.respond({ status: 200, body: row.reply === undefined ? '' : row.reply });
    const result = await row.call(client);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe(row.method);
    expect(req.url).toBe(row.url);
    if (row.body === undefined) {
      expect(req.body).toBe('');
    } else {
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body)).toEqual(row.body);
    }
    expect(result).toEqual(row.result);
  });

  it('every client method has a row', () => {
    const methods = Object.keys(client).filter((k) => !['close', 'activeNode'].includes(k));
    const covered = new Set(rows.map((r) => /c\.(\w+)\(/.exec(r.call.toString())?.[1]));
    expect(methods.filter((m) => !covered.has(m))).toEqual([]);
  });

  it('sends Basic auth and accepts JSON', async () => {
    server.respond({ body: { history_rotation_size: 50 } });
    await client.getConfig();
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('Administrator:pw').toString('base64')}`);
    expect(req.headers.accept).toBe('application/json');
  });

  it('keeps unknown response keys', async () => {
    server.respond({ body: { ...repository, worm: { period: 5 }, future_field: 'x' } });
    const repo = await client.getRepository('active', 'repo1');
    expect(repo.future_field).toBe('x');
    expect(repo.worm).toEqual({ period: 5 });
  });

  it('turns a missing required field into BSVC_BAD_RESPONSE', async () => {
    const { plan_name: _omitted, ...broken } = repository;
    server.respond({ body: broken });
    const err = await client.getRepository('active', 'repo1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupApiError);
    expect((err as BackupApiError).code).toBe('BSVC_BAD_RESPONSE');
    expect((err as BackupApiError).status).toBe(200);
    expect((err as BackupApiError).msg).toContain('plan_name');
  });

  it('turns a non-JSON success body into BSVC_BAD_RESPONSE', async () => {
    server.respond({ body: '<html>proxy</html>' });
    const err = await client.listPlans().catch((e: unknown) => e);
    expect((err as BackupApiError).code).toBe('BSVC_BAD_RESPONSE');
  });

  it('turns an empty body where data is expected into BSVC_BAD_RESPONSE', async () => {
    server.respond({ body: '' });
    const err = await client.backup('repo1').catch((e: unknown) => e);
    expect((err as BackupApiError).code).toBe('BSVC_BAD_RESPONSE');
    expect((err as BackupApiError).endpoint).toBe('POST /cluster/self/repository/active/{id}/backup');
  });

  it.each([
    ['an empty id', (c: BackupClient) => c.getPlan('')],
    ['a dot-dot id', (c: BackupClient) => c.deletePlan('..')],
  ])('rejects %s locally without sending', async (_name, call) => {
    await expect(call(client)).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('backup client over the cluster-manager proxy', () => {
  it('prefixes /_p/backup/api/v1', async () => {
    const server = await startTestServer();
    const client = createBackupClient({
      urls: [`${server.url}/_p/backup/`],
      auth: { username: 'u', password: 'p' },
    });
    server.respond({ body: [] });
    await client.listPlans();
    expect(server.requests[0]?.url).toBe('/_p/backup/api/v1/plan');
    await client.close();
    await server.close();
  });
});
