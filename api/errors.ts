import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../models/db';

/**
 * The one error type the HTTP edge speaks. Every 4xx/5xx body is `{ message, code, details }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  static notFound(what: string): AppError {
    return new AppError(404, `${what}_not_found`, `${what.replace(/_/g, ' ')} not found`);
  }
}

/** Turns a zod failure into a 400 naming each offending field. */
export function validationError(error: ZodError, where: 'body' | 'query' | 'params'): AppError {
  const details = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
  const first = details[0];
  return new AppError(400, 'validation_failed', first ? `${first.path}: ${first.message}` : `invalid ${where}`, details);
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'route_not_found', `no route for ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Maps every error to `{ message, code, details }`; unknown errors become a 500 with no internal text. */
export function errorHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (error instanceof ZodError) appError = validationError(error, 'body');
    else {
      const parserError = error as BodyParserError;
      if (parserError.type === 'entity.parse.failed') {
        appError = new AppError(400, 'invalid_json', 'the request body is not valid JSON');
      } else if (parserError.type === 'entity.too.large') {
        appError = new AppError(413, 'payload_too_large', 'the request body is too large');
      } else if (error instanceof URIError) {
        // The router could not percent-decode a path parameter, as in `/v1/bots/%E0%A4%A`.
        appError = new AppError(400, 'invalid_path', 'the request path is not valid percent-encoding');
      } else if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500 && parserError.expose) {
        appError = new AppError(parserError.status, 'bad_request', 'the request could not be read');
      } else if (isDatabaseUnavailable(error)) {
        // An election, a failover or a network cut: nothing was half-written (writes are single documents or
        // undone), so the client retries (with its clientMessageId / Idempotency-Key where it has one).
        log('database unavailable', error);
        res.setHeader('Retry-After', '2');
        appError = new AppError(503, 'database_unavailable', 'the database is unavailable for a moment; try again shortly');
      } else {
        log('unhandled error', error);
        appError = new AppError(500, 'internal_error', 'something went wrong on our side');
      }
    }
    res.status(appError.status).json({ message: appError.message, code: appError.code, details: appError.details });
  };
}
