import mongoose from 'mongoose';
import { tenancyPlugin } from './tenancy';

// Query filters are built only from zod-validated strings (never from raw request objects), so a Mongo
// operator in a query string or body is rejected at the edge; unknown filter paths are a bug, so throw.
mongoose.set('strictQuery', 'throw');
// Every query on a collection that belongs to accounts is scoped to one, or says why not (models/tenancy.ts).
mongoose.plugin(tenancyPlugin);

/** Opens a dedicated mongoose connection and makes sure every model's indexes exist. */
export async function connectDatabase(uri: string): Promise<mongoose.Connection> {
  const connection = await mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 20,
  }).asPromise();
  return connection;
}

/** Creates the indexes of every model registered on the connection (idempotent). */
export async function syncIndexes(db: mongoose.Connection): Promise<void> {
  for (const model of Object.values(db.models)) await model.createIndexes();
}
