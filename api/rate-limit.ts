import type { RequestHandler } from 'express';
import { AppError } from './errors';

/**
 * A fixed-window limiter keyed by client address, in this process's memory. Enough to slow down
 * sign-up abuse on one API instance; put a shared limiter in front of a fleet.
 */
export function rateLimit(options: { limit: number; windowMs: number; name: string }): RequestHandler {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return (req, res, next) => {
    const now = Date.now();
    const key = req.ip ?? 'unknown';
    let window = windows.get(key);
    if (!window || window.resetAt <= now) {
      if (windows.size > 100_000) windows.clear();
      window = { count: 0, resetAt: now + options.windowMs };
      windows.set(key, window);
    }
    window.count++;
    if (window.count > options.limit) {
      res.setHeader('Retry-After', String(Math.ceil((window.resetAt - now) / 1000)));
      next(new AppError(429, 'rate_limited', `too many ${options.name} requests; try again later`));
      return;
    }
    next();
  };
}
