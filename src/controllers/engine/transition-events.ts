import { type EventInput, EventType, KStatusType } from '../runtime/index.ts';
import type { ManagedStatus } from './managed-kind.ts';

type Conditions = ManagedStatus['conditions'];

/**
 * The Events a status write stands for (pure): Ready flipping (after the first True) when
 * `readyEventAction` is set, and Stalled becoming True or changing reason when
 * `stalledEventReason` is set. A condition that holds records nothing more.
 */
export function transitionEvents(
  before: Conditions,
  after: Conditions,
  opts: { readyEventAction?: string | undefined; stalledEventReason?: string | undefined },
): EventInput[] {
  const events: EventInput[] = [];
  const find = (list: Conditions, type: string) => list?.find((c) => c.type === type);
  const ready = find(after, KStatusType.Ready);
  const wasReady = find(before, KStatusType.Ready);
  if (
    opts.readyEventAction &&
    ready &&
    ready.status !== wasReady?.status &&
    (wasReady !== undefined || ready.status !== 'True')
  ) {
    events.push({
      type: ready.status === 'True' ? EventType.Normal : EventType.Warning,
      reason: ready.reason,
      action: opts.readyEventAction,
      note: ready.message,
    });
  }
  const stalled = find(after, KStatusType.Stalled);
  const wasStalled = find(before, KStatusType.Stalled);
  if (
    opts.stalledEventReason &&
    stalled?.status === 'True' &&
    (wasStalled?.status !== 'True' || wasStalled.reason !== stalled.reason)
  ) {
    events.push({
      type: EventType.Warning,
      reason: opts.stalledEventReason,
      action: 'Reconcile',
      note: stalled.message,
    });
  }
  return events;
}
