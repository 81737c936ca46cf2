export { type AdoptionDecision, decideAdoption, describeUnknown } from './adoption.ts';
export {
  type CandidateInput,
  candidatesOn,
  findCandidates,
  historyStart,
  type TaskMatcher,
} from './candidates.ts';
export {
  type Claim,
  type ClaimSources,
  claimedTaskNames,
  claimsOf,
  oneShotOwner,
  type TriggerEchoes,
  triggerClaims,
  triggerOwner,
} from './claims.ts';
export { CLOCK_SKEW_MARGIN_MS, DELIVERY_GRACE_MS, HISTORY_TRUST_MS, SEND_WINDOW_MS } from './constants.ts';
export { classifySendFailure, type SendFailure } from './send-failure.ts';
export { sendWindowRemainingMs, sendWindowSignal } from './send-window.ts';
