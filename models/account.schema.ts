import { z } from 'zod';

/** `POST /v1/accounts` body. */
export const CreateAccountBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  password: z.string().min(10, 'must be at least 10 characters').max(1024),
});
export type CreateAccountBody = z.infer<typeof CreateAccountBody>;

/** `POST /v1/api-keys` body. */
export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).default('API key'),
});
