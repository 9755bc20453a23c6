import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { createConnection, deleteConnection, getConnection, listConnections, updateConnection } from './connections';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, updateEndpoint } from './endpoints';
import { endpointFromCurl } from './from-curl';
import { importOpenApi, importOpenApiInto } from './openapi-import';
import { testConnection, testEndpoint } from './tests';

/**
 * API connections and their endpoints (DESIGN.md, "API actions"). Configuration only: the API never
 * calls a tenant system; test calls go through workflows like every other call.
 */
export function connectionsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/connections', createConnection(deps));
  router.post('/v1/connections/import', importOpenApi(deps));
  router.post('/v1/connections/:id/import', importOpenApiInto(deps));
  router.get('/v1/connections', listConnections(deps));
  router.get('/v1/connections/:id', getConnection(deps));
  router.patch('/v1/connections/:id', updateConnection(deps));
  router.delete('/v1/connections/:id', deleteConnection(deps));
  router.post('/v1/connections/:id/endpoints', createEndpoint(deps));
  router.post('/v1/connections/:id/endpoints/from-curl', endpointFromCurl(deps));
  router.get('/v1/connections/:id/endpoints', listEndpoints(deps));
  router.get('/v1/connections/:id/endpoints/:eid', getEndpoint(deps));
  router.patch('/v1/connections/:id/endpoints/:eid', updateEndpoint(deps));
  router.delete('/v1/connections/:id/endpoints/:eid', deleteEndpoint(deps));
  router.post('/v1/connections/:id/test', testConnection(deps));
  router.post('/v1/connections/:id/endpoints/:eid/test', testEndpoint(deps));
  return router;
}
