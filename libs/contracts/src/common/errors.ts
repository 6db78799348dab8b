/** Error replies follow NATS ADR-7's shape: a numeric code, a stable machine name, and words. */
export const ErrCode = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_descriptor: 422,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  timeout: 504,
  unavailable: 503,
  step_failed: 502,
  internal: 500,
} as const;
export type ErrName = keyof typeof ErrCode;

export interface ErrorBody {
  code: number;
  err_code: ErrName;
  description: string;
  details?: unknown;
}

/** Every reply is either a result object or `{ error: ErrorBody }`; never both, never a bare string. */
export interface ErrorReply {
  error: ErrorBody;
}

export function errorBody(err_code: ErrName, description: string, details?: unknown): ErrorBody {
  return details === undefined ? { code: ErrCode[err_code], err_code, description } : { code: ErrCode[err_code], err_code, description, details };
}

export function isErrorReply(v: unknown): v is ErrorReply {
  return typeof v === 'object' && v !== null && 'error' in v && typeof (v as ErrorReply).error?.err_code === 'string';
}

/** Largest request payload a public subject accepts (the server's own max_payload is larger). */
export const MAX_REQUEST_BYTES = 256 * 1024;
