import type { DataErrorCode } from './contract.ts';

/** A caller mistake detected by the data layer; `code` is stable, `message` is for humans. */
export class DataError extends Error {
  readonly code: DataErrorCode;

  constructor(code: DataErrorCode, message: string) {
    super(message);
    this.name = 'DataError';
    this.code = code;
  }
}

/** True when `err` is a DataError, optionally with the given code. */
export function isDataError(err: unknown, code?: DataErrorCode): err is DataError {
  return err instanceof DataError && (code === undefined || err.code === code);
}
