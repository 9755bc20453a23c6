/**
 * A method a documented path lacks answers 405 with `Allow` (RFC 9110), in the house error shape, and an
 * OPTIONS request to a documented path answers 204 with `Allow` (where no router answers it itself, as the
 * widget's and the codec's CORS preflights do). Both are built from the OpenAPI registry, the one list of
 * every route, so they cannot disagree with the document.
 *
 * Paths are matched as OpenAPI resolves them: a literal segment before a parameter, so
 * `PATCH /v1/knowledge/search` is a method `/v1/knowledge/search` lacks (405), not an update of a
 * knowledge item called "search". Like Express, matching ignores case and one trailing slash.
 */
import type { RequestHandler } from 'express';
import { AppError } from './errors';
import { methodsByPath, type RouteDoc } from './openapi/registry';

interface PathRule {
  /** Each segment: a literal (lower case) or `undefined` for a parameter. */
  segments: (string | undefined)[];
  allow: string[];
}

/** Finds the documented path a request path is, or undefined. */
export function pathMatcher(routes: readonly RouteDoc[]): (path: string) => PathRule | undefined {
  const rules: PathRule[] = [...methodsByPath(routes)].map(([path, allow]) => ({
    segments: path
      .split('/')
      .slice(1)
      .map((s) => (s.startsWith(':') ? undefined : s.toLowerCase())),
    allow,
  }));
  // At the first segment where two paths differ in kind, the literal one is more specific and wins.
  const rank = (rule: PathRule): string => rule.segments.map((s) => (s === undefined ? '1' : '0')).join('');
  rules.sort((a, b) => rank(a).localeCompare(rank(b)));
  return (path) => {
    const segments = (path.length > 1 ? path.replace(/\/$/, '') : path).split('/').slice(1);
    return rules.find((rule) => rule.segments.length === segments.length && rule.segments.every((s, i) => (s === undefined ? segments[i] !== '' : s === segments[i]!.toLowerCase())));
  };
}

/** 405 for a method the documented path lacks (OPTIONS goes on, to `answerOptions` or a CORS preflight). */
export function methodNotAllowed(routes: readonly RouteDoc[]): RequestHandler {
  const match = pathMatcher(routes);
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    const rule = match(req.path);
    if (!rule || rule.allow.includes(req.method)) return next();
    const allow = [...rule.allow, 'OPTIONS'];
    res.setHeader('Allow', allow.join(', '));
    next(new AppError(405, 'method_not_allowed', `${req.method} is not a method of ${req.path.slice(0, 200)}; it answers ${allow.join(', ')}`, { allow }));
  };
}

/** OPTIONS on a documented path that no router answered: 204 with `Allow`. */
export function answerOptions(routes: readonly RouteDoc[]): RequestHandler {
  const match = pathMatcher(routes);
  return (req, res, next) => {
    const rule = req.method === 'OPTIONS' ? match(req.path) : undefined;
    if (!rule) return next();
    res.setHeader('Allow', [...rule.allow, 'OPTIONS'].join(', '));
    res.status(204).end();
  };
}
