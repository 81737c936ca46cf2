import {
  type BackupClient,
  isBackupApiError,
  isNotFound,
  type PlanBody,
  serverText,
} from '../../backup-api/index.ts';
import { changePlan } from '../backup-repository/actions.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupPlanResource } from '../resources.ts';
import { toPlanBody, usesPrune } from './desired.ts';
import { type PlanObserved, type PlanReader, planNameOf, serviceKeyOf, usersIn } from './observe.ts';
import { isPlanInvalid, PlanWriteRefusedError, planRefusalMessage, RolloutBlockedError } from './refusals.ts';
import type { PlanAction } from './rollout.ts';

type PlanObj = BackupPlanResource;

/** Repository ids on the service that use `planName`, from a fresh read (only to explain a refusal). */
export async function repositoriesUsing(
  client: BackupClient,
  planName: string,
  signal: AbortSignal,
): Promise<string[]> {
  try {
    return usersIn(await client.getClusterInfo({ signal }), planName);
  } catch {
    // Without it the server's own message still says why.
    return [];
  }
}

/** Creates or replaces one version of the plan; a refusal is explained (in use, PRUNE on an old server). */
export async function writePlan(
  client: BackupClient,
  obj: PlanObj,
  action: Extract<PlanAction, { kind: 'create' | 'replace' }>,
  signal: AbortSignal,
): Promise<PlanBody> {
  const planName = action.name;
  const body = toPlanBody(obj.spec);
  try {
    if (action.kind === 'create') await client.createPlan(planName, body, { signal });
    else await client.replacePlan(planName, body, { signal });
    return body;
  } catch (err) {
    if (!isPlanInvalid(err)) throw err;
    // The service answers 400 for "already exists" too: a concurrent create is no refusal.
    const appeared =
      action.kind === 'create' &&
      (await client.getPlan(planName, { signal }).then(
        () => true,
        () => false,
      ));
    if (appeared) throw new Error(`plan ${planName} appeared while it was being created`, { cause: err });
    const users = action.kind === 'replace' ? await repositoriesUsing(client, planName, signal) : [];
    const message = planRefusalMessage({
      verb: action.kind === 'create' ? 'create' : 'update',
      planName,
      serverText: serverText(err),
      users,
      usesPrune: usesPrune(obj.spec),
    });
    throw new PlanWriteRefusedError(message, users, err);
  }
}

/**
 * Performs one write of a plan and remembers it until the next poll shows it: a version created or
 * replaced, a repository switched to the target version (paused around the change, as the
 * service's own tests do, and resumed unless it was paused), or an unused older version deleted.
 */
export async function performPlanAction(args: {
  deps: ControllerDeps;
  reader: PlanReader;
  client: BackupClient;
  obj: PlanObj;
  action: PlanAction;
  observed: PlanObserved;
  signal: AbortSignal;
}): Promise<void> {
  const { deps, reader, client, obj, action, signal } = args;
  const startedAt = deps.clock.now();
  switch (action.kind) {
    case 'create':
    case 'replace':
      try {
        reader.wrote(obj, action.name, await writePlan(client, obj, action, signal));
      } catch (err) {
        if (!(err instanceof PlanWriteRefusedError)) throw err;
        reader.refusedWith(obj, action.name, startedAt, err.users);
        // A poll older than a repository's switch to this version: no refusal, the next decision
        // (from the users the refusal found) rolls the edit out as a new version.
        const unusedAsFarAsKnown = args.observed.versions.some(
          (v) => v.name === action.name && v.users.length === 0,
        );
        if (err.users.length === 0 || !unusedAsFarAsKnown) throw err;
      }
      return;
    case 'switch':
      await switchRepository(deps, client, obj, action, signal);
      reader.switched(obj, action.repository, action.to);
      deps.crashPoint('plan:rollout-switched');
      return;
    case 'retire':
      await retireVersion(reader, client, obj, action.name, signal, startedAt);
      return;
  }
}

async function switchRepository(
  deps: ControllerDeps,
  client: BackupClient,
  obj: PlanObj,
  action: Extract<PlanAction, { kind: 'switch' }>,
  signal: AbortSignal,
): Promise<void> {
  const observed = deps.observations.findRepository(serviceKeyOf(obj), action.repository, 'active');
  const resume = observed?.repository.state !== 'paused';
  try {
    await changePlan(
      client,
      action.repository,
      { kind: 'change-plan', from: action.from, to: action.to, resume },
      observed,
      deps,
      signal,
    );
  } catch (err) {
    if (!isBackupApiError(err) || err.status === 0 || err.retryable) throw err;
    throw new RolloutBlockedError(
      `The Backup Service refused to switch repository ${action.repository} from plan ${action.from} to ${action.to}: ${serverText(err)}. Plan ${planNameOf(obj)} keeps its older version until every repository can be switched.`,
      { cause: err },
    );
  }
}

/** Deletes an older version; one still in use (a repository the poll did not show yet) is noted. */
async function retireVersion(
  reader: PlanReader,
  client: BackupClient,
  obj: PlanObj,
  name: string,
  signal: AbortSignal,
  startedAt: number,
): Promise<void> {
  try {
    await client.deletePlan(name, { signal });
  } catch (err) {
    if (isNotFound(err)) {
      reader.wrote(obj, name, null);
      return;
    }
    if (!isPlanInvalid(err)) throw err;
    const users = await repositoriesUsing(client, name, signal);
    if (users.length === 0) throw err;
    // Not a refusal: the next reconcile switches the repository the server named.
    reader.refusedWith(obj, name, startedAt, users);
    throw new Error(`plan ${name} is still used by repository ${users.join(', ')}`, { cause: err });
  }
  reader.wrote(obj, name, null);
}
