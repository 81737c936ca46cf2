import type { ControllerDeps, KindAccess } from '../operator.ts';
import { EventType, type ReadonlyDeep } from '../runtime/index.ts';
import { writeStatusGuarded } from './guarded-write.ts';
import { KIND_LABEL, type OneShotKind, type OneShotResource, type StatusOf } from './kind.ts';
import { type OneShotStatus, oneShotStatus, type Situation } from './status.ts';

/** What the parts of the one-shot flow (follow, send, resolve an intent) share. */
export interface OneShotTools<T extends OneShotResource> {
  deps: ControllerDeps;
  kind: OneShotKind<T>;
  access: KindAccess<T>;
  /** `BackupRun` or `BackupRestore`. */
  label: string;
  now(): Date;
  /** Writes the status for a situation (plus fields), guarded; returns the written object. */
  settle(obj: ReadonlyDeep<T>, situation: Situation, fields?: Partial<StatusOf<T>>): Promise<T>;
  /** A Failed situation completed now. */
  failNow(reason: string, message: string, error?: string): Situation;
  /** Records an Event on the object (fire and forget). */
  event(obj: ReadonlyDeep<T>, type: 'Normal' | 'Warning', reason: string, action: string, note: string): void;
}

/** Builds the shared tools of a one-shot kind. */
export function createOneShotTools<T extends OneShotResource>(
  deps: ControllerDeps,
  kind: OneShotKind<T>,
): OneShotTools<T> {
  const access = kind.access(deps);
  const now = () => new Date(deps.clock.now());
  return {
    deps,
    kind,
    access,
    label: KIND_LABEL[kind.name],
    now,
    async settle(obj, situation, fields = {}) {
      const previous = obj.status as OneShotStatus | undefined;
      const generation = obj.metadata.generation ?? 0;
      const next = { ...oneShotStatus(previous, situation, generation, now()), ...fields };
      return await writeStatusGuarded(access.client, obj as T, next);
    },
    failNow: (reason, message, error = message) => ({
      kind: 'failed',
      reason,
      message,
      error,
      completionTime: now().toISOString(),
    }),
    event: (obj, type, reason, action, note) =>
      void deps.events.record(obj, {
        type: type === 'Normal' ? EventType.Normal : EventType.Warning,
        reason,
        action,
        note,
      }),
  };
}
