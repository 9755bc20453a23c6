/**
 * A Temporal remote codec server, so the Web UI and the CLI can show encrypted payloads in clear to
 * operators: `POST /codec/decode` and `POST /codec/encode` take and return `{payloads:[{metadata:{k:
 * base64}, data: base64}]}` (Temporal's protocol). Authenticated by `Authorization: Bearer
 * <CODEC_AUTH_TOKEN>` — a deployment secret for operators, never a tenant's `pk_` key (a tenant key would
 * decrypt every account's payloads). Disabled (404) unless both PARLEY_PAYLOAD_KEYS and CODEC_AUTH_TOKEN are
 * set. Browsers from CODEC_CORS_ORIGINS (e.g. the Web UI's origin) may call it.
 */
import type { Payload } from '@temporalio/common';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { AesGcmPayloadCodec } from '../../models/payload-codec';
import { bearerMatches } from '../../models/secret-box';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { parse } from '../validate';

const Base64 = z.string().max(8_000_000).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const CodecBody = z.object({
  // Absent means none: the CLI sends `{}` (proto JSON leaves out an empty list) to encode a query without arguments.
  payloads: z
    .array(z.object({ metadata: z.record(z.string().max(200), Base64).optional(), data: Base64.optional() }))
    .max(1000)
    .default([]),
});

export function codecRouter(deps: Pick<ApiDeps, 'config'>): Router {
  const router = Router();
  const { PARLEY_PAYLOAD_KEYS: keys, CODEC_AUTH_TOKEN: token, CODEC_CORS_ORIGINS: origins } = deps.config;
  const codec = keys && token ? new AesGcmPayloadCodec(keys) : undefined;
  const allowed = new Set((origins ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean));

  // CORS first, so a browser's preflight (which carries no credentials) is answered.
  router.use('/codec', (req, res, next) => {
    const origin = req.get('origin');
    if (origin && (allowed.has(origin) || allowed.has('*'))) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
      res.set('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
        res.set('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  });

  const authorize: RequestHandler = (req, _res, next) => {
    if (!codec || !token) return next(new AppError(404, 'codec_disabled', 'the codec endpoint is off: set PARLEY_PAYLOAD_KEYS and CODEC_AUTH_TOKEN'));
    if (!bearerMatches(req.get('authorization'), token)) {
      return next(new AppError(401, 'unauthorized', 'send the codec token as "Authorization: Bearer <CODEC_AUTH_TOKEN>"'));
    }
    next();
  };

  const handle =
    (direction: 'encode' | 'decode'): RequestHandler =>
    async (req, res) => {
      const body = parse(CodecBody, req.body);
      const payloads: Payload[] = body.payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
        data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
      }));
      let result: Payload[];
      try {
        result = direction === 'encode' ? await codec!.encode(payloads) : await codec!.decode(payloads);
      } catch {
        throw new AppError(400, 'codec_failed', `a payload could not be ${direction}d (unknown key id or damaged data)`);
      }
      res.json({
        payloads: result.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
          data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
        })),
      });
    };

  // Payload batches can be large: a body limit of their own (the caller is authorized first).
  const json = express.json({ limit: '8mb', strict: true });
  router.post('/codec/encode', authorize, json, handle('encode'));
  router.post('/codec/decode', authorize, json, handle('decode'));
  return router;
}
