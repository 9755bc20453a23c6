/** API process entry: connect to MongoDB and Temporal, serve HTTP until SIGINT/SIGTERM. */
import { Client, Connection } from '@temporalio/client';
import { connectDatabase, syncIndexes } from '../models/db';
import { createApp } from './app';
import { loadApiConfig } from './config';
import { createDeps } from './deps';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const db = await connectDatabase(config.MONGODB_URI);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const deps = createDeps({ db, temporal, config });
  await syncIndexes(db);
  const server = createApp(deps).listen(config.PORT, config.HOST, () => {
    console.log(`[api] listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`);
  });
  const shutdown = (): void => {
    server.close(() => {
      void connection.close().then(() => db.close()).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error('[api] fatal:', error instanceof Error ? error.message : error);
  process.exit(1);
});
