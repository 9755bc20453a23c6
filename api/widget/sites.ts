import type { Request } from 'express';
import type { WebsiteDoc } from '../../models/website.model';
import type { IdentityMode, WidgetAppearance } from '../../models/website.schema';
import type { ApiConfig } from '../config';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { WidgetScope, WidgetTokens } from './tokens';
import { acrossAccounts } from '../../models/tenancy';

/** What a widget request is for: a bound website, or a bot's preview page (same-origin with the API). */
export interface WidgetSite {
  scope: WidgetScope;
  accountId: string;
  botId: string;
  channel: 'widget' | 'preview';
  websiteId?: string;
  /** Origins whose pages may call; the API's own origin for the preview page. */
  origins: string[];
  identity: IdentityMode;
  appearance: WidgetAppearance;
  website?: WebsiteDoc;
}

const CACHE_MS = 5_000;
const CACHE_MAX = 5_000;

/** The API's own origin, as a browser on the preview page writes it. */
export function apiOrigin(req: Request, config: Pick<ApiConfig, 'PUBLIC_URL'>): string {
  if (config.PUBLIC_URL) return new URL(config.PUBLIC_URL).origin;
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * Resolves the token in a widget URL: a `wt_` website token (looked up, cached for 5 s so a widget's
 * polling does not read the database each time; a rotated or deleted token stops working within that),
 * or a preview token (a signed JWT, no lookup).
 */
export function createSiteResolver(deps: Pick<ApiDeps, 'Website' | 'config'>, tokens: WidgetTokens) {
  const cache = new Map<string, { site: WidgetSite; until: number }>();
  return async function resolve(token: string, req: Request): Promise<WidgetSite> {
    if (/^wt_[a-f0-9]{40}$/.test(token)) {
      const hit = cache.get(token);
      if (hit && hit.until > Date.now()) return hit.site;
      // Across accounts by design: the public token is what says which account's website this is.
      const website = await acrossAccounts('widget: a website is found by its public token', () => deps.Website.findOne({ token }).lean().exec());
      if (!website) {
        cache.delete(token);
        throw new AppError(404, 'website_not_found', 'no website has this token; copy the snippet again from the website settings');
      }
      const site: WidgetSite = {
        scope: { kind: 'website', websiteId: website._id },
        accountId: website.accountId,
        botId: website.botId,
        channel: 'widget',
        websiteId: website._id,
        origins: website.origins,
        identity: website.identity,
        appearance: website.appearance ?? {},
        website,
      };
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(token, { site, until: Date.now() + CACHE_MS });
      return site;
    }
    if (token.startsWith('ey') && token.length <= 2048) {
      const preview = await tokens.verifyPreview(token);
      if (preview) {
        return {
          scope: { kind: 'preview', botId: preview.botId },
          accountId: preview.accountId,
          botId: preview.botId,
          channel: 'preview',
          origins: [apiOrigin(req, deps.config)],
          identity: 'off',
          appearance: {},
        };
      }
      throw new AppError(401, 'preview_expired', 'this preview link is not valid or has expired; open a new one');
    }
    throw new AppError(404, 'website_not_found', 'no website has this token; copy the snippet again from the website settings');
  };
}
