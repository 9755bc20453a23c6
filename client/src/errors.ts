import type { ApiError } from './client';

/** A call that answered an error status: its `status`, and the body's `code`, `message` and `details`. */
export class ParleyApiError extends Error {
  override readonly name = 'ParleyApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/**
 * The data of a successful call, or a thrown `ParleyApiError`:
 * `const { conversation } = ok(await parley.POST('/v1/conversations', { body }))`.
 */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  const body = (typeof result.error === 'object' && result.error !== null ? result.error : {}) as Partial<ApiError>;
  const message = body.message ?? (typeof result.error === 'string' && result.error ? result.error : result.response.statusText);
  throw new ParleyApiError(result.response.status, body.code ?? 'http_error', message, body.details ?? null);
}
