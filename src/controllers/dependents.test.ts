import { describe, expect, it } from 'vitest';
import { createRepositoriesChanged } from './dependents.ts';

/** Reflectors and queues holding plain objects, recording what is enqueued. */
function world(objects: { runs?: object[]; restores?: object[]; repositories?: object[]; plans?: object[] }) {
  const added: string[] = [];
  const store = (items: object[] = []) => ({ store: { list: () => items } });
  const queue = (kind: string) => ({ add: (key: string) => added.push(`${kind}:${key}`) });
  const reflectors = {
    repositories: store(objects.repositories),
    plans: store(objects.plans),
    runs: store(objects.runs),
    restores: store(objects.restores),
  };
  const queues = {
    repositories: queue('repositories'),
    plans: queue('plans'),
    runs: queue('runs'),
    restores: queue('restores'),
  };
  return { changed: createRepositoriesChanged(reflectors as never, queues as never), added };
}

const run = (name: string, phase?: string) => ({
  metadata: { name, namespace: 'ns' },
  spec: { repository: { repositoryRef: { name: 'repo' } } },
  ...(phase ? { status: { phase } } : {}),
});

describe('createRepositoriesChanged', () => {
  it('enqueues the changed repository and the runs that follow it, but not finished runs', () => {
    const w = world({
      repositories: [{ metadata: { name: 'repo', namespace: 'ns' }, spec: { serviceRef: { name: 'cb' } } }],
      runs: [run('running', 'Running'), run('done', 'Succeeded'), run('failed', 'Failed'), run('new')],
    });
    w.changed('ns/cb', ['repo']);
    expect(w.added.sort()).toEqual(['repositories:ns/repo', 'runs:ns/new', 'runs:ns/running']);
  });

  it('enqueues nothing for a poll that changed nothing', () => {
    const w = world({ runs: [run('running', 'Running')] });
    w.changed('ns/cb', []);
    expect(w.added).toEqual([]);
  });
});
