/** Service-generated error bodies `{status, msg, extras?}` (docs/backup-service-api.md §1.3). */

export interface ApiErrorBody {
  status: number;
  msg: string;
  extras?: string;
}

/** An error that a route throws to answer with the reference's error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly extras: string | undefined;
  constructor(status: number, msg: string, extras?: string) {
    super(msg);
    this.status = status;
    this.extras = extras;
  }

  /** The JSON body, with `extras` only when there is something extra. */
  body(): ApiErrorBody {
    return this.extras === undefined
      ? { status: this.status, msg: this.message }
      : { status: this.status, msg: this.message, extras: this.extras };
  }
}

/** Shorthands for the common classes. */
export const badRequest = (msg: string, extras?: string): ApiError => new ApiError(400, msg, extras);
export const notFound = (msg: string, extras?: string): ApiError => new ApiError(404, msg, extras);
export const internal = (msg: string, extras?: string): ApiError => new ApiError(500, msg, extras);
