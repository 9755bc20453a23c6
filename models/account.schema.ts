import { z } from 'zod';

/** `POST /v1/accounts` body. */
export const CreateAccountBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  password: z.string().min(10, 'must be at least 10 characters').max(1024),
});
export type CreateAccountBody = z.infer<typeof CreateAccountBody>;

/**
 * What an API key may do: `read` every GET route; `write` configuration (bots, flows, AI, connections,
 * endpoints, actions, knowledge, API keys, publish, tests); `conversations` the API channel (start, send,
 * confirm, close, agent messages, release). Reading conversations takes `read` or `conversations`.
 */
export const API_PERMISSIONS = ['read', 'write', 'conversations'] as const;
export const ApiPermission = z.enum(API_PERMISSIONS);
export type ApiPermission = z.infer<typeof ApiPermission>;

/** `POST /v1/api-keys` body. */
export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).default('API key'),
  permissions: z
    .array(ApiPermission)
    .min(1)
    .max(API_PERMISSIONS.length)
    .refine((list) => new Set(list).size === list.length, 'must not repeat a permission')
    .meta({ uniqueItems: true })
    .default([...API_PERMISSIONS]),
});

/** `POST /v1/auth/login` body. */
export const LoginBody = z.strictObject({
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  password: z.string().min(1).max(1024),
});
