/**
 * The bodies of `POST` and `PATCH /v1/websites`: a website binding's bot, name, the origins its widget
 * may run on (parsed and written back canonically by core/origins.ts) and its identity mode and looks.
 */
import { z } from 'zod';
import { parseAllowedOrigin } from '../../core/origins';
import { IDENTITY_MODES, MAX_ORIGINS, WidgetAppearance } from '../../models/website.schema';

/**
 * What `parseAllowedOrigin` accepts, for the OpenAPI document: scheme, an ASCII host name (whose last
 * label starts with a letter) or a valid IPv4 address, or a wildcard over a registered domain, a port in
 * range, an optional trailing slash. The parser also accepts a little more (surrounding spaces, leading
 * zeros, international host names), which it writes back in this canonical form.
 */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const LAST_LABEL = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const ORIGIN_PATTERN = `^[Hh][Tt][Tt][Pp][Ss]?://(?:(?:${LABEL}\\.)*${LAST_LABEL}|${OCTET}(?:\\.${OCTET}){3}|\\*\\.(?:${LABEL}\\.)+${LAST_LABEL})(?::${PORT})?/?$`;

const Origin = z.string().max(300).meta({ pattern: ORIGIN_PATTERN }).transform((value, ctx) => {
  const parsed = parseAllowedOrigin(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed.origin;
});

const Origins = z
  .array(Origin)
  .min(1, 'list at least one origin the widget runs on')
  .max(MAX_ORIGINS, `at most ${MAX_ORIGINS} origins`)
  .transform((origins) => [...new Set(origins)]);

export const CreateWebsiteBody = z.strictObject({
  botId: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(120),
  origins: Origins,
  /**
   * Signed visitor identity: `off` ignores identity tokens, `optional` accepts a valid one (and refuses an
   * invalid one), `required` refuses visitors without one.
   */
  identity: z.enum(IDENTITY_MODES).default('optional'),
  appearance: WidgetAppearance.default({}),
});
export type CreateWebsiteBody = z.infer<typeof CreateWebsiteBody>;

export const UpdateWebsiteBody = z
  .strictObject({
    botId: z.string().min(1).max(64).optional(),
    name: z.string().trim().min(1).max(120).optional(),
    origins: Origins.optional(),
    identity: z.enum(IDENTITY_MODES).optional(),
    appearance: WidgetAppearance.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdateWebsiteBody = z.infer<typeof UpdateWebsiteBody>;
