import { z } from 'zod';

/**
 * A website binding: the chat widget of one bot, allowed to run on the listed origins. Its
 * `website_token` is public (it is in the page's HTML); what protects the account is the origin check,
 * the per-token and per-visitor limits, and the visitor tokens that scope each browser to its own
 * conversation. Signed visitor identity uses a separate secret that never leaves the site's server.
 */
export const IDENTITY_MODES = ['off', 'optional', 'required'] as const;
export type IdentityMode = (typeof IDENTITY_MODES)[number];

export const MAX_ORIGINS = 20;

const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #2563eb');

export const WidgetAppearance = z.strictObject({
  /** The panel's title; the bot's name when absent. */
  title: z.string().trim().min(1).max(80).optional(),
  color: Color.optional(),
  /** The launcher's corner. */
  position: z.enum(['right', 'left']).optional(),
});
export type WidgetAppearance = z.infer<typeof WidgetAppearance>;

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
