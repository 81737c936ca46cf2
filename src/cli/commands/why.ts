import { stripVTControlCharacters } from 'node:util';
import type { RepositoryPathState } from '../../backup-api/index.ts';
import {
  allKinds,
  type BackupRepository,
  BackupRepositorySchema,
  backupPlanKind,
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
  type KindMeta,
} from '../../crds/index.ts';
import { defineCommand } from '../command.ts';
import type { Ctx } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { age, truncate } from '../format.ts';
import type { Kube, KubeObject } from '../kube.ts';
import { paint, paintStatus, renderData, renderTable } from '../output.ts';
import { parseObject, pathStateOf } from '../service-access.ts';

interface WhyArgs {
  object: string;
}

/** Finds the kind a user typed: kind, plural, singular or short name, any case, with or without group. */
export function kindByName(typed: string): KindMeta | undefined {
  const t = typed.toLowerCase().replace(/\.cbbs\.dev$/, '');
  return allKinds
    .map((k) => k.meta)
    .find((m) => [m.kind.toLowerCase(), m.plural, m.singular, ...m.shortNames].includes(t));
}

/** The value at a path inside an untyped object, or undefined. */
function at(obj: unknown, ...path: string[]): unknown {
  let v: unknown = obj;
  for (const p of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** A referenced object and what was found. */
export interface ReferenceCheck {
  kind: string;
  name: string;
  state: string;
  ok: boolean;
}

/** Names of the objects one object refers to (pure). */
export function referencesOf(
  kind: string,
  spec: Record<string, unknown> | undefined,
): { kind: string; name: string }[] {
  const refs: { kind: string; name: string }[] = [];
  const add = (k: string, ...path: string[]) => {
    const name = at(spec, ...path);
    if (typeof name === 'string') refs.push({ kind: k, name });
  };
  if (kind === 'BackupService') {
    add('Secret', 'credentialsSecretRef', 'name');
    add('Secret', 'tls', 'caSecretRef', 'name');
    add('Secret', 'tls', 'clientCertSecretRef', 'name');
  } else if (kind === 'BackupPlan') {
    add('BackupService', 'serviceRef', 'name');
  } else if (kind === 'BackupRepository') {
    add('BackupService', 'serviceRef', 'name');
    add('BackupPlan', 'planRef', 'name');
    add('Secret', 'storage', 'objectStore', 'credentialsSecretRef', 'name');
  } else {
    const r = kind === 'BackupRun' ? 'repository' : 'source';
    add('BackupRepository', r, 'repositoryRef', 'name');
    add('BackupService', r, 'serviceRef', 'name');
    add('Secret', 'target', 'credentialsSecretRef', 'name');
  }
  return refs;
}

const KINDS: Record<string, KindMeta> = {
  BackupService: backupServiceKind,
  BackupPlan: backupPlanKind,
  BackupRepository: backupRepositoryKind,
  BackupRun: backupRunKind,
  BackupRestore: backupRestoreKind,
};

async function findObject(kube: Kube, typed: string): Promise<KubeObject> {
  const ns = kube.namespace;
  const slash = typed.indexOf('/');
  if (slash >= 0) {
    const meta = kindByName(typed.slice(0, slash));
    if (!meta)
      throw new CliError(
        EXIT.usage,
        `unknown kind "${typed.slice(0, slash)}" (use one of ${Object.keys(KINDS).join(', ')})`,
      );
    return kube.get(meta, ns, typed.slice(slash + 1));
  }
  const found = (await Promise.all(Object.values(KINDS).map((m) => kube.find(m, ns, typed)))).filter(
    (o): o is KubeObject => o !== undefined,
  );
  if (found.length === 0)
    throw new CliError(EXIT.notFound, `no cbbs object named "${typed}" in namespace "${ns}"`);
  if (found.length > 1) {
    throw new CliError(
      EXIT.usage,
      `"${typed}" names several objects: ${found.map((o) => `${o.kind}/${typed}`).join(', ')}; say which`,
    );
  }
  return found[0] as KubeObject;
}

async function checkReference(
  kube: Kube,
  ns: string,
  ref: { kind: string; name: string },
): Promise<ReferenceCheck> {
  try {
    if (ref.kind === 'Secret') {
      await kube.getSecret(ns, ref.name);
      return { ...ref, state: 'exists', ok: true };
    }
    const meta = KINDS[ref.kind] as KindMeta;
    const obj = await kube.find(meta, ns, ref.name);
    if (!obj) return { ...ref, state: 'not found', ok: false };
    const ready = (
      obj.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined
    )?.conditions?.find((c) => c.type === 'Ready');
    return {
      ...ref,
      state: `Ready=${ready?.status ?? 'Unknown'}${ready?.reason ? ` (${ready.reason})` : ''}`,
      ok: ready?.status === 'True',
    };
  } catch (err) {
    return { ...ref, state: err instanceof Error ? err.message : String(err), ok: false };
  }
}

/** The service an object talks to, and the repository to look for on it. */
async function serviceOf(
  kube: Kube,
  obj: KubeObject,
): Promise<{ service: string; repository?: { id: string; state: RepositoryPathState } } | undefined> {
  const ns = kube.namespace;
  if (obj.kind === 'BackupService') return { service: obj.metadata.name };
  if (obj.kind === 'BackupPlan') return { service: String(at(obj.spec, 'serviceRef', 'name')) };
  const repoFrom = (r: BackupRepository) => ({
    service: r.spec.serviceRef.name,
    repository: { id: r.spec.repositoryId ?? r.metadata.name, state: pathStateOf(r) },
  });
  if (obj.kind === 'BackupRepository')
    return repoFrom(parseObject<BackupRepository>(BackupRepositorySchema, obj));
  const r = at(obj.spec, obj.kind === 'BackupRun' ? 'repository' : 'source');
  const refName = at(r, 'repositoryRef', 'name');
  if (typeof refName === 'string') {
    const repo = await kube.find(backupRepositoryKind, ns, refName);
    return repo ? repoFrom(parseObject<BackupRepository>(BackupRepositorySchema, repo)) : undefined;
  }
  const service = at(r, 'serviceRef', 'name');
  if (typeof service === 'string') {
    const state = String(at(r, 'state') ?? 'Active').toLowerCase() as RepositoryPathState;
    return { service, repository: { id: String(at(r, 'repositoryId')), state } };
  }
  return undefined;
}

/** The connectivity and credentials check: one GET of the cluster, then the repository if any. */
async function checkService(ctx: Ctx, obj: KubeObject): Promise<string[]> {
  const kube = ctx.kube();
  const target = await serviceOf(kube, obj);
  if (!target) return ['no Backup Service to check (its repository is not found)'];
  const lines: string[] = [];
  try {
    const svc = await ctx.service(kube.namespace, target.service);
    const cluster = await svc.call('GET /cluster/self', (c) => c.getClusterInfo());
    lines.push(
      `${paint('green', 'ok')}: BackupService ${target.service} reachable at ${svc.client.activeNode()}, credentials accepted (cluster "${cluster.name}")`,
    );
    if (target.repository) {
      const { id, state } = target.repository;
      try {
        await svc.call(`repository ${id}`, (c) => c.getRepository(state, id));
        lines.push(`${paint('green', 'ok')}: repository ${id} exists on the service (${state})`);
      } catch (err) {
        lines.push(`${paint('red', 'problem')}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } catch (err) {
    lines.push(`${paint('red', 'problem')}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return lines;
}

/** `why OBJECT`: conditions, refusal, Events, references and a live check of the Backup Service. */
export const whyCommand = defineCommand<WhyArgs>({
  command: 'why <object>',
  describe:
    'Why an object is not Ready: conditions, recent Events, referenced objects, and a live check of its Backup Service',
  builder: (y) =>
    y
      .positional('object', {
        type: 'string',
        demandOption: true,
        describe: 'KIND/NAME (cbrepo/x, backuprun/y) or a NAME',
      })
      .example('$0 why cbrepo/travel-sample-daily', ''),
  run: async (ctx, args) => {
    const kube = ctx.kube();
    const obj = await findObject(kube, args.object);
    const ns = kube.namespace;
    const status = (obj.status ?? {}) as {
      conditions?: {
        type: string;
        status: string;
        reason?: string;
        message?: string;
        lastTransitionTime?: string;
      }[];
      refusal?: { action: string; reason: string; message: string; recheckAt?: string };
      phase?: string;
      error?: string;
    };
    const events = await kube.events(ns, obj.kind, obj.metadata.name).catch((err: unknown) => err as Error);
    const refs = await Promise.all(referencesOf(obj.kind, obj.spec).map((r) => checkReference(kube, ns, r)));
    const service = await checkService(ctx, obj);
    const format = ctx.args.output;
    if (format === 'json' || format === 'yaml') {
      ctx.out.stdout(
        renderData(format, {
          object: { kind: obj.kind, namespace: ns, name: obj.metadata.name },
          conditions: status.conditions ?? [],
          refusal: status.refusal,
          events:
            events instanceof Error
              ? { error: events.message }
              : events.map((e) => ({ type: e.type, reason: e.reason, message: e.message, count: e.count })),
          references: refs,
          service: service.map((l) => stripVTControlCharacters(l)),
        }),
      );
      return;
    }
    const now = ctx.now();
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    const out: string[] = [
      `${obj.kind} ${ns}/${obj.metadata.name}: Ready=${paintStatus(ready?.status)}${status.phase ? `, phase ${status.phase}` : ''}`,
    ];
    if (status.error) out.push(`Error: ${status.error}`);
    out.push('', 'Conditions:');
    out.push(
      status.conditions?.length
        ? renderTable(
            [
              { header: 'TYPE', value: (c: NonNullable<typeof status.conditions>[number]) => c.type },
              { header: 'STATUS', value: (c) => paintStatus(c.status) },
              { header: 'REASON', value: (c) => c.reason ?? '' },
              { header: 'AGE', value: (c) => age(c.lastTransitionTime, now) },
              { header: 'MESSAGE', value: (c) => truncate(c.message ?? '', 100) },
            ],
            status.conditions,
            false,
          )
            .trimEnd()
            .replace(/^/gm, '  ')
        : '  none yet (has the operator seen it?)',
    );
    if (status.refusal) {
      out.push(
        '',
        `Refused by the Backup Service (${status.refusal.action}, ${status.refusal.reason}): ${status.refusal.message}`,
      );
      if (status.refusal.recheckAt) out.push(`  tried again at ${status.refusal.recheckAt}`);
    }
    out.push('', 'Events:');
    if (events instanceof Error) out.push(`  cannot list: ${events.message}`);
    else if (events.length === 0) out.push('  none');
    else
      for (const e of events.slice(-10))
        out.push(
          `  ${e.type ?? ''} ${e.reason ?? ''}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}: ${truncate(e.message ?? '', 120)}`,
        );
    out.push('', 'References:');
    if (refs.length === 0) out.push('  none');
    for (const r of refs)
      out.push(`  ${r.kind} ${r.name}: ${r.ok ? paint('green', r.state) : paint('red', r.state)}`);
    out.push('', 'Backup Service:');
    for (const l of service) out.push(`  ${l}`);
    ctx.out.stdout(`${out.join('\n')}\n`);
  },
});
