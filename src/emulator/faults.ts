/**
 * Run-time switchable fault injection. Random decisions come from a seeded PRNG so a test that
 * sets `seed` sees the same sequence of failures on every run.
 */
import { z } from 'zod';

export const faultRuleSchema = z.object({
  /** HTTP method to match (any when absent). */
  method: z.string().optional(),
  /** Prefix of the request path, proxy prefix `/_p/backup` stripped (any when absent). */
  path: z.string().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  /** Probability 0..1 of answering with `errorStatus` instead of serving the request. */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(500), z.literal(503)]).optional(),
  /** Probability 0..1 of destroying the socket without an answer. */
  resetRate: z.number().min(0).max(1).optional(),
  /** Probability 0..1 of serving the request but sending a truncated JSON body. */
  malformedRate: z.number().min(0).max(1).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;

export const faultSettingsSchema = z.object({
  seed: z.number().int().default(1),
  /** Added to every request (backup API and cluster manager, not /_emulator). */
  latencyMs: z.number().int().nonnegative().default(0),
  rules: z.array(faultRuleSchema).default([]),
  /** Every request answers 401. */
  authFailure: z.boolean().default(false),
  /** Leader lost: the service is paused; /api/v1 answers 503 and no task runs. */
  servicePaused: z.boolean().default(false),
  /** Real milliseconds each task stays running before it does its work. */
  taskDelayMs: z.number().int().nonnegative().default(0),
  /** One-shot: the next task of `repository` (active id) fails with `error`. */
  taskFailures: z.array(z.object({ repository: z.string(), error: z.string() })).default([]),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;
export type FaultSettingsInput = z.input<typeof faultSettingsSchema>;

/** What the HTTP layer must do to one request. */
export interface FaultDecision {
  latencyMs: number;
  errorStatus?: 500 | 503;
  reset: boolean;
  malformed: boolean;
}

export interface Faults {
  get(): FaultSettings;
  /** Replaces the settings (missing keys take defaults); reseeds the PRNG. */
  set(input: FaultSettingsInput): FaultSettings;
  /** Merges into the current settings; reseeds only when `seed` is given. */
  patch(input: Partial<FaultSettingsInput>): FaultSettings;
  reset(): void;
  decide(method: string, path: string): FaultDecision;
  /** Consumes and returns the injected failure for the next task of a repository. */
  takeTaskFailure(repositoryId: string): string | undefined;
}

/** mulberry32: tiny, fast, good enough for fault dice. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Creates the fault switchboard, initially with no faults. */
export function createFaults(initial: FaultSettingsInput = {}): Faults {
  let settings = faultSettingsSchema.parse(initial);
  let random = prng(settings.seed);
  const roll = (rate: number | undefined): boolean => rate !== undefined && rate > 0 && random() < rate;

  return {
    get: () => settings,
    set(input) {
      settings = faultSettingsSchema.parse(input);
      random = prng(settings.seed);
      return settings;
    },
    patch(input) {
      settings = faultSettingsSchema.parse({ ...settings, ...input });
      if (input.seed !== undefined) random = prng(settings.seed);
      return settings;
    },
    reset() {
      settings = faultSettingsSchema.parse({});
      random = prng(settings.seed);
    },
    decide(method, path) {
      const decision: FaultDecision = { latencyMs: settings.latencyMs, reset: false, malformed: false };
      for (const rule of settings.rules) {
        if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
        if (rule.path !== undefined && !path.startsWith(rule.path)) continue;
        decision.latencyMs += rule.latencyMs ?? 0;
        if (decision.errorStatus === undefined && roll(rule.errorRate)) {
          decision.errorStatus = rule.errorStatus ?? 500;
        }
        if (roll(rule.resetRate)) decision.reset = true;
        if (roll(rule.malformedRate)) decision.malformed = true;
      }
      return decision;
    },
    takeTaskFailure(repositoryId) {
      const i = settings.taskFailures.findIndex((f) => f.repository === repositoryId);
      if (i < 0) return undefined;
      const failure = settings.taskFailures[i];
      settings = { ...settings, taskFailures: settings.taskFailures.filter((_, j) => j !== i) };
      return failure?.error;
    },
  };
}
