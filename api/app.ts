import express, { type Express } from 'express';
import { createAuthenticator } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, notFoundRoute } from './errors';
import { accountRouter, signupRouter } from './routes/accounts';
import { actionsRouter } from './routes/actions';
import { botAiRouter } from './routes/bot-ai';
import { botsRouter } from './routes/bots';
import { connectionsRouter } from './routes/connections';
import { conversationsRouter } from './routes/conversations';
import { knowledgeImportJson, knowledgeRouter } from './routes/knowledge';
import { logsRouter } from './routes/logs';

/** Builds the Express app. The API is a thin Temporal client: it never calls a tenant API or an LLM. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple'); // flat strings only: `?status[$ne]=x` stays a harmless unknown key
  const auth = createAuthenticator(deps.ApiKey);
  // A knowledge import (up to 500 items) has its own larger body limit; every other route keeps 64 kB.
  // The caller is authenticated first, so an anonymous client cannot make the API read 5 MB.
  app.post('/v1/knowledge/import', auth.middleware, knowledgeImportJson);
  app.use(express.json({ limit: '64kb', strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(signupRouter(deps));

  app.use('/v1', auth.middleware);
  app.use(accountRouter(deps, auth));
  app.use(botsRouter(deps));
  app.use(botAiRouter(deps));
  app.use(conversationsRouter(deps));
  app.use(connectionsRouter(deps));
  app.use(actionsRouter(deps));
  app.use(logsRouter(deps));
  app.use(knowledgeRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
