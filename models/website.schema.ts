import { z } from 'zod';
import { parseAllowedOrigin } from '../core/origins';

/**
 * A website binding: the chat widget of one bot, allowed to run on the listed origins. Its
 * `website_token` is public (it is in the page's HTML); what protects the account is the origin check,
 * the per-token and per-visitor limits, and the visitor tokens that scope each browser to its own
 * conversation. Signed visitor identity uses a separate secret that never leaves the site's server.
 */
export const IDENTITY_MODES = ['off', 'optional', 'required'] as const;
export type IdentityMode = (typeof IDENTITY_MODES)[number];

export const MAX_ORIGINS = 20;

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

const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #2563eb');

export const WidgetAppearance = z.strictObject({
  /** The panel's title; the bot's name when absent. */
  title: z.string().trim().min(1).max(80).optional(),
  color: Color.optional(),
  /** The launcher's corner. */
  position: z.enum(['right', 'left']).optional(),
});
export type WidgetAppearance = z.infer<typeof WidgetAppearance>;

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

/** Public widget: start a conversation. The visitor's identity comes only from a signed token. */
export const WidgetStartBody = z.strictObject({
  /** HS256 JWT signed by the site's server with the website's identity secret: `sub`, optional `email`/`name`, `exp`. */
  identityToken: z.string().min(1).max(4096).optional(),
});

/** Claims of a visitor identity token, once its signature and expiry are checked. */
export const IdentityClaims = z.object({
  sub: z.string().trim().min(1).max(200),
  email: z.email().max(320).optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type IdentityClaims = z.infer<typeof IdentityClaims>;
