import { z } from 'zod';

/** metav1.ConditionStatus values. */
export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;

/** kstatus condition types (sigs.k8s.io/cli-utils/pkg/kstatus): Ready plus the two abnormal-true ones. */
export const KStatusType = { Ready: 'Ready', Reconciling: 'Reconciling', Stalled: 'Stalled' } as const;

/** metav1.Condition, validated as the apiserver validates it. */
export const conditionSchema = z.object({
  type: z
    .string()
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
    ),
  status: z.enum([ConditionStatus.True, ConditionStatus.False, ConditionStatus.Unknown]),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: z.string(),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof conditionSchema>;

/** A condition to set; `lastTransitionTime` is computed by {@link setCondition}. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** Formats `now` as metav1.Time (RFC 3339, whole seconds), the precision the apiserver stores. */
export function metaTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** The condition of `type`, if present. */
export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/** True when the condition of `type` is present with status True. */
export function isConditionTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === ConditionStatus.True;
}

/**
 * Returns a new list with `cond` set (apimachinery's meta.SetStatusCondition): `lastTransitionTime`
 * is `now` when the condition is new or its status flips, and kept otherwise, so that rewriting the
 * same status does not produce a status diff. Order of the other conditions is preserved.
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  cond: ConditionInput,
  now: Date,
): Condition[] {
  const existing = findCondition(list, cond.type);
  const lastTransitionTime =
    existing && existing.status === cond.status ? existing.lastTransitionTime : metaTime(now);
  const next: Condition = { ...cond, lastTransitionTime };
  if (!existing) return [...(list ?? []), next];
  return (list ?? []).map((c) => (c.type === cond.type ? next : c));
}

/** Returns a new list without the condition of `type`. */
export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

/** The three kstatus states an object can be reported in. */
export const KStatusState = { Ready: 'Ready', Reconciling: 'Reconciling', Stalled: 'Stalled' } as const;
export type KStatusState = (typeof KStatusState)[keyof typeof KStatusState];

/**
 * Sets the kstatus conditions for `state` (pure): `Ready` is always present (True only when ready);
 * `Reconciling` and `Stalled` are abnormal-true conditions, present with status True only in their
 * state and removed otherwise, as kstatus expects.
 */
export function setKStatus(
  list: readonly Condition[] | undefined,
  state: { state: KStatusState; reason: string; message: string; observedGeneration: number },
  now: Date,
): Condition[] {
  const { reason, message, observedGeneration } = state;
  let next = setCondition(
    list,
    {
      type: KStatusType.Ready,
      status: state.state === KStatusState.Ready ? ConditionStatus.True : ConditionStatus.False,
      reason,
      message,
      observedGeneration,
    },
    now,
  );
  for (const abnormal of [KStatusType.Reconciling, KStatusType.Stalled] as const) {
    next =
      state.state === abnormal
        ? setCondition(
            next,
            { type: abnormal, status: ConditionStatus.True, reason, message, observedGeneration },
            now,
          )
        : removeCondition(next, abnormal);
  }
  return next;
}
