/** Why a pasted cURL command cannot be imported; the API answers it as a 400 with this code. */
export class CurlImportError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_curl' | 'origin_mismatch' = 'invalid_curl',
  ) {
    super(message);
  }
}
