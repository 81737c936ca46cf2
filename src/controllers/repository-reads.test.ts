import { describe, expect, it } from 'vitest';
import {
  BACKUP_API_ERROR_CODES,
  BackupApiError,
  type BackupClient,
  type Repository,
  type RepositoryPathState,
} from '../backup-api/index.ts';
import { locateRepository, readRepository } from './repository-reads.ts';

const answer = (status: number, code: (typeof BACKUP_API_ERROR_CODES)[keyof typeof BACKUP_API_ERROR_CODES]) =>
  new BackupApiError({ code, status, endpoint: 'GET /cluster/self/repository/{state}/{id}', msg: 'm' });
const notFound = answer(404, BACKUP_API_ERROR_CODES.notFound);
const repo = { id: 'r1', plan_name: 'p', state: 'archived', archive: '/a', repo: 'u' } as Repository;

/** A client whose getRepository answers per path state and records the states read. */
function clientWith(answers: Partial<Record<RepositoryPathState, Repository | Error>>) {
  const reads: RepositoryPathState[] = [];
  const client = {
    async getRepository(state: RepositoryPathState) {
      reads.push(state);
      const a = answers[state] ?? notFound;
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as BackupClient;
  return { client, reads };
}
const signal = new AbortController().signal;

describe('readRepository', () => {
  it('returns the repository with the state it was read in', async () => {
    const { client } = clientWith({ archived: repo });
    expect(await readRepository(client, 'archived', 'r1', signal)).toEqual({
      state: 'archived',
      repository: repo,
    });
  });
  it('is undefined on 404', async () => {
    expect(await readRepository(clientWith({}).client, 'active', 'r1', signal)).toBeUndefined();
  });
  it('passes other errors on', async () => {
    const unavailable = answer(503, BACKUP_API_ERROR_CODES.unavailable);
    const { client } = clientWith({ active: unavailable });
    await expect(readRepository(client, 'active', 'r1', signal)).rejects.toBe(unavailable);
  });
});

describe('locateRepository', () => {
  it('reads active, then archived, then imported, and stops at the first found', async () => {
    const { client, reads } = clientWith({ archived: repo, imported: repo });
    expect(await locateRepository(client, 'r1', signal)).toEqual({ state: 'archived', repository: repo });
    expect(reads).toEqual(['active', 'archived']);
  });
  it('is undefined when no group holds it', async () => {
    const { client, reads } = clientWith({});
    expect(await locateRepository(client, 'r1', signal)).toBeUndefined();
    expect(reads).toEqual(['active', 'archived', 'imported']);
  });
});
