/**
 * The intent protocol: how the operator makes a request that must start exactly one task on the
 * Backup Service (a BackupRun, a BackupRestore, a BackupRepository trigger token) although the
 * service offers no idempotency key and the operator may crash, lose an answer or run twice.
 *
 * 1. recordIntent: before the request, write what is about to be sent and when (`sentAt`) to the
 *    object's status, guarded by its resourceVersion, so two writers cannot both record it.
 * 2. send within a window: the request may leave only until `sentAt + SEND_WINDOW_MS`
 *    ({@link sendWindowSignal}); an answer names the task, which is recorded.
 * 3. find candidates: without a recorded task (crash, lost answer, unreadable answer), look for
 *    tasks of the right type started since `sentAt - CLOCK_SKEW_MARGIN_MS` that nothing else
 *    (another resource, another token, a plan schedule) claims ({@link findCandidates}).
 * 4. decide ({@link decideAdoption}): exactly one candidate is ours, adopt it; several are
 *    ambiguous, so the user decides (never a guess); none while the request may still arrive,
 *    wait until `sentAt + DELIVERY_GRACE_MS`; none after that, the request never arrived and is
 *    sent again (a new intent); none for an intent older than `HISTORY_TRUST_MS`, the history may
 *    have dropped it, so the user decides.
 */

/**
 * How far the Backup Service's clock may be behind the operator's: a task whose start is this much
 * earlier than the recorded intent still counts as a candidate. Safe because `sentAt` is taken
 * before the request, so a task of ours never starts before it on a correct clock; the margin only
 * widens the search (which can only add candidates, and several candidates are never guessed).
 */
export const CLOCK_SKEW_MARGIN_MS = 60_000;

/**
 * How long after an intent (`sentAt`) a request may still reach the service and show up as a task.
 * Before that, finding nothing proves nothing; after it, nothing found means the request never
 * arrived (the service registers a one-off task before it answers).
 *
 * Invariant this rests on: no request is in flight later than `sentAt + SEND_WINDOW_MS` (half of
 * this grace): the send is aborted then, however many nodes and connect timeouts the transport is
 * still working through. The other half covers the network and the service's registration of the
 * task.
 */
export const DELIVERY_GRACE_MS = 20_000;

/** How long after `sentAt` a request may be sent at all (half the delivery grace, see there). */
export const SEND_WINDOW_MS = DELIVERY_GRACE_MS / 2;

/**
 * Beyond this age of an intent, an absent task may have rotated out of the task history, so
 * absence no longer proves the request was never delivered: the user decides instead of a resend.
 */
export const HISTORY_TRUST_MS = 24 * 3_600_000;
