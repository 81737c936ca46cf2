/**
 * Server-side versions of a BackupPlan. The Backup Service refuses to edit a plan a repository uses,
 * so an edit of a plan in use is rolled out as a new plan, `<planName>-v<generation>`, to which every
 * using repository is switched; the old one is then deleted. All of it is derived from the spec, the
 * object's generation and its status (which names it published), never from process memory.
 */

/** Longest plan name the Backup Service accepts. */
export const MAX_PLAN_NAME_LENGTH = 50;

/** Status fields the versions are derived from. */
export interface PublishedVersions {
  /** The server plan repositories are told to use (`status.planName`). */
  planName?: string | undefined;
  /** Older versions still on the server, from `status.rollout.retiring`. */
  retiring?: readonly string[] | undefined;
}

/**
 * The server name of the version created at `generation` (pure): `<base>-v<generation>`, the base
 * cut so that the whole stays within 50 characters.
 */
export function versionName(base: string, generation: number): string {
  const suffix = `-v${generation}`;
  return `${base.slice(0, MAX_PLAN_NAME_LENGTH - suffix.length)}${suffix}`;
}

/** The generation a name is the version of (0 for the base itself), or undefined (pure). */
export function versionGeneration(base: string, name: string): number | undefined {
  if (name === base) return 0;
  const match = /-v([1-9][0-9]*)$/.exec(name);
  if (!match) return undefined;
  const generation = Number(match[1]);
  return versionName(base, generation) === name ? generation : undefined;
}

/**
 * The names that are this plan's versions (pure): the base, what status published or still
 * retires, and the version of the current generation (one created just before a crash, before
 * status published it). Names other BackupPlans of the same server claim are never ours. A listed
 * `<base>-v<n>` that none of these names is left alone: it may be someone's own plan.
 */
export function versionNames(args: {
  base: string;
  generation: number;
  published: PublishedVersions | undefined;
  foreign: ReadonlySet<string>;
}): string[] {
  const { base, generation, published, foreign } = args;
  const names = new Set<string>([base, versionName(base, generation)]);
  if (published?.planName) names.add(published.planName);
  for (const name of published?.retiring ?? []) names.add(name);
  return [...names].filter((n) => !foreign.has(n) || n === base).sort();
}
