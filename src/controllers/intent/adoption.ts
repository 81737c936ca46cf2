import { DELIVERY_GRACE_MS, HISTORY_TRUST_MS } from './constants.ts';

/** What to do about an intent that has no task name yet. */
export type AdoptionDecision =
  | { kind: 'adopt'; taskName: string }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'resend' }
  | { kind: 'unknown'; why: 'several-candidates' | 'history-too-old'; candidates: string[] };

/**
 * The one adoption rule of every intent (pure). Exactly one candidate is ours. Nothing yet, or
 * several, may still settle while the request can be in flight or its sender is about to record
 * the name, so wait out the delivery grace. After it: nothing means the request never arrived
 * (send again) unless the history may have rotated; several stay ambiguous and need the user.
 */
export function decideAdoption(args: {
  candidates: readonly string[];
  sentAtMs: number;
  nowMs: number;
}): AdoptionDecision {
  const { candidates, sentAtMs, nowMs } = args;
  const graceEnd = sentAtMs + DELIVERY_GRACE_MS;
  if (candidates.length === 1) return { kind: 'adopt', taskName: candidates[0] as string };
  if (nowMs < graceEnd) return { kind: 'wait', untilMs: graceEnd };
  if (candidates.length > 1)
    return { kind: 'unknown', why: 'several-candidates', candidates: [...candidates] };
  if (nowMs - sentAtMs > HISTORY_TRUST_MS) return { kind: 'unknown', why: 'history-too-old', candidates: [] };
  return { kind: 'resend' };
}

/** Why an undecidable intent is undecidable, in words for a condition message (pure). */
export function describeUnknown(decision: Extract<AdoptionDecision, { kind: 'unknown' }>): string {
  return decision.why === 'several-candidates'
    ? `several tasks could be it (${decision.candidates.join(', ')})`
    : 'no task was found, but the request is older than the task history can be trusted to show';
}
