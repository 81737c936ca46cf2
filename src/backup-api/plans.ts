import { type Plan, type PlanBody, planListSchema, planSchema } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

/** Plan endpoints (docs/backup-service-api.md §4). The real path is `/plan`, not the docs' `/cluster/plan`. */
export function planMethods(t: Transport) {
  return {
    /** `GET /plan`: every plan, built-in (`default: true`) ones included. */
    listPlans: (o: CallOptions = {}): Promise<Plan[]> =>
      t.request({ method: 'GET', path: '/plan', schema: planListSchema, signal: o.signal }),

    /** `GET /plan/{name}`; unknown plan → BSVC_NOT_FOUND. */
    getPlan: (name: string, o: CallOptions = {}): Promise<Plan> =>
      t.request({
        method: 'GET',
        path: '/plan/{name}',
        params: { name },
        schema: planSchema,
        signal: o.signal,
      }),

    /** `POST /plan/{name}`; invalid body or existing name → BSVC_INVALID (the service uses 400 for both). */
    createPlan: (name: string, body: PlanBody, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'POST', path: '/plan/{name}', params: { name }, body, signal: o.signal }),

    /** `PUT /plan/{name}`: replaces the whole plan. */
    replacePlan: (name: string, body: PlanBody, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'PUT', path: '/plan/{name}', params: { name }, body, signal: o.signal }),

    /** `DELETE /plan/{name}`; a plan still used by a repository → BSVC_INVALID. */
    deletePlan: (name: string, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'DELETE', path: '/plan/{name}', params: { name }, signal: o.signal }),
  };
}
