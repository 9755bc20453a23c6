/**
 * Which documented route a request is for, as its Express pattern (metrics and request logs label by it).
 */
import { registry as routeRegistry } from './routes';

let matchers: { method: string; path: string; regex: RegExp; params: number }[] | undefined;

/**
 * The documented route (api/openapi/routes.ts, which a test keeps equal to what is mounted) that a
 * request matches, as its Express pattern; `unmatched` otherwise. From the registry rather than
 * `req.route`, so a request refused before its route ran (401, 429, 415) still counts under its route.
 * With several matches the one with fewest parameters wins (`/v1/knowledge/search` over `/v1/knowledge/:id`).
 */
export function routePattern(method: string, path: string): string {
  matchers ??= routeRegistry.list().map((route) => ({
    method: route.method.toUpperCase(),
    path: route.path,
    regex: new RegExp(`^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`),
    params: (route.path.match(/:/g) ?? []).length,
  }));
  const wanted = method === 'HEAD' ? 'GET' : method;
  let best: { path: string; params: number } | undefined;
  for (const m of matchers) {
    if (m.method === wanted && m.regex.test(path) && (!best || m.params < best.params)) best = m;
  }
  return best?.path ?? 'unmatched';
}
