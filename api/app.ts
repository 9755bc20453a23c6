import express, { type Express } from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import { keyRateLimit, requirePermission } from './access';
import { createAuthenticator } from './auth';
import type { ApiDeps } from './deps';
import { AppError, errorHandler, notFoundRoute } from './errors';
import { accountRouter, signupRouter } from './routes/accounts';
import { accountStatusRouter, operatorRouter } from './routes/account-status';
import { agentAuthRouter, agentsRouter } from './routes/agents';
import { createAgentTokenService } from './agent-tokens';
import { actionsRouter } from './routes/actions';
import { botAiRouter } from './routes/bot-ai';
import { botsRouter } from './routes/bots';
import { callbacksRouter } from './routes/callbacks';
import { codecRouter } from './routes/codec';
import { connectionsRouter } from './routes/connections';
import { conversationsRouter } from './routes/conversations';
import { docsRouter } from './routes/docs';
import { knowledgeImportJson, knowledgeRouter } from './routes/knowledge';
import { loginRouter } from './routes/login';
import { observeRequests } from './logger';
import { readinessCheck, readyRoute } from './readiness';
import { metricsRoute } from './metrics';
import { logsRouter } from './routes/logs';
import { answerOptions, methodNotAllowed } from './method-not-allowed';
import { registry } from './openapi/routes';
import { isOpenApiImportPath, OPENAPI_IMPORT_PATHS, openApiImportBody, YAML_TYPES } from './routes/connections/openapi-import/body';
import { webhooksRouter } from './routes/webhooks';
import { websitesRouter } from './routes/websites';
import { handoffSettingsRouter } from './routes/handoff-settings';
import { slaRouter } from './routes/sla';
import { inboxRouter } from './routes/inbox';
import { inboxPageRouter } from './inbox-page/router';
import { widgetPagesRouter } from './widget/pages';
import { widgetRouter } from './widget/router';
import { createWidgetTokens } from './widget/tokens';
import { createSharedLimiters } from './rate-limit';
import { createTokenService } from './tokens';
import { tenancyChecked } from '../models/tenancy';

export interface AppOptions {
  /** Where rate-limit counts live; default the API's own connection (tests pass a failing one). */
  rateLimitStore?: MongoConnection;
  /** How long a rate-limit count may take before it counts as a store failure; default 2000 ms. */
  rateLimitStoreTimeoutMs?: number;
}

/** Builds the Express app. The API is a thin Temporal client: it never calls a tenant API or an LLM. */
export function createApp(deps: ApiDeps, options: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  // First, so that every request is logged and counted, even one refused early (415, 401, 429).
  app.use(observeRequests(deps));
  // Every query a request makes is checked for its account scope (models/tenancy.ts; enforced in tests).
  app.use((_req, _res, next) => tenancyChecked(next));
  // A method a documented path lacks is 405 with Allow, before credentials or body are looked at.
  app.use(methodNotAllowed(registry.list()));
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.set('query parser', 'simple'); // flat strings only: `?status[$ne]=x` stays a harmless unknown key
  const tokens = createTokenService(deps.config);
  if (deps.config.NODE_ENV === 'production' && !deps.config.PARLEY_JWT_SECRET) {
    deps.log('PARLEY_JWT_SECRET is not set: login tokens use a key derived from PARLEY_SECRET_KEYS');
  }
  const agentTokens = createAgentTokenService(deps.config);
  const auth = createAuthenticator(deps.ApiKey, tokens, deps.Account, { tokens: agentTokens, Agent: deps.Agent, AgentSession: deps.AgentSession });
  // Rate-limit counts live in MongoDB, shared by every API instance on the same database.
  const limiters = createSharedLimiters({
    db: options.rateLimitStore ?? deps.ApiKey.db,
    log: deps.log,
    onRefused: (limiter) => deps.metrics.rateLimited.inc({ limiter }),
    onStoreError: (limiter) => deps.metrics.rateLimitStoreErrors.inc({ limiter }),
    ...(options.rateLimitStoreTimeoutMs ? { storeTimeoutMs: options.rateLimitStoreTimeoutMs } : {}),
  });
  app.use(requireJsonBody);
  // A knowledge import (up to 500 items) has its own larger body limit; every other route keeps 64 kB.
  // The caller is authenticated first, so an anonymous client cannot make the API read 5 MB.
  app.post('/v1/knowledge/import', auth.middleware, requirePermission, knowledgeImportJson);
  // An OpenAPI import reads a document of up to 2 MB, as JSON or as an uploaded YAML file.
  app.post(OPENAPI_IMPORT_PATHS, auth.middleware, requirePermission, ...openApiImportBody);
  // The Temporal Web UI's codec server (CORS, its own token and body limit): before the 64 kB JSON parser.
  app.use(codecRouter(deps));
  app.use(express.json({ limit: '64kb', strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: Temporal and MongoDB both answer (503 otherwise); a load balancer's or Kubernetes' probe.
  app.get('/ready', readyRoute(readinessCheck({ temporal: deps.temporal, db: deps.ApiKey.db })));
  app.get('/metrics', metricsRoute(deps)); // Prometheus; Bearer METRICS_AUTH_TOKEN when set
  app.use(docsRouter()); // GET /openapi.json, GET /docs (no auth; every route is in api/openapi/routes.ts)
  app.use(signupRouter(deps, limiters));
  app.use(loginRouter(deps, { limiters, tokens }));
  app.use(agentAuthRouter(deps, { limiters, tokens: agentTokens })); // agents: accept an invite, log in, refresh
  // The chat widget: its script, the preview page, and the public endpoints keyed by a website token
  // (origin-checked and limited per website and per client; no API key).
  const widgetTokens = createWidgetTokens(deps.config);
  app.use(widgetPagesRouter(deps, widgetTokens));
  app.use(inboxPageRouter()); // GET /inbox: the agent inbox page, its script and style (no auth; it signs agents in)
  app.use(widgetRouter(deps, { limiters, tokens: widgetTokens }));
  // A business's answer to a long-running call: the signed token in the URL is the credential (no API key).
  app.use(callbacksRouter(deps, { limiters }));
  // OPTIONS that no router answered (the widget and the codec answer their CORS preflights): 204 with Allow.
  app.use(answerOptions(registry.list()));

  app.use(operatorRouter(deps)); // /v1/operator/*: the deployment's operator (OPERATOR_TOKEN), not an account
  // Every authenticated route: who (key or login token), how often (per key), and what it may do.
  app.use('/v1', auth.middleware, keyRateLimit(limiters, deps.config), requirePermission);
  app.use(accountRouter(deps, auth));
  app.use(accountStatusRouter(deps));
  app.use(botsRouter(deps));
  app.use(botAiRouter(deps));
  app.use(conversationsRouter(deps));
  app.use(inboxRouter(deps)); // GET /v1/inbox; claim, assign and notes of a conversation
  app.use(connectionsRouter(deps));
  app.use(actionsRouter(deps));
  app.use(logsRouter(deps));
  app.use(knowledgeRouter(deps));
  app.use(webhooksRouter(deps));
  app.use(websitesRouter(deps, widgetTokens));
  app.use(handoffSettingsRouter(deps)); // GET|PUT /v1/inbox/settings, GET|PUT /v1/bots/:id/handoff
  app.use(slaRouter(deps)); // GET /v1/sla/status
  app.use(agentsRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}

/**
 * A body on POST/PUT/PATCH must be JSON: anything else is 415, never silently ignored (express.json
 * would skip it and the route would see no body). Requests without a body are not concerned.
 */
const requireJsonBody: express.RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.is('application/json') || (isOpenApiImportPath(req.path) && req.is(YAML_TYPES))) return next();
  next(new AppError(415, 'unsupported_media_type', 'send the request body as JSON with "Content-Type: application/json"', { contentType: (req.get('content-type') ?? '').slice(0, 100) || null }));
};
