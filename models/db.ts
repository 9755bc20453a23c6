import mongoose from 'mongoose';
import { tenancyPlugin } from './tenancy';

// Query filters are built only from zod-validated strings (never from raw request objects), so a Mongo
// operator in a query string or body is rejected at the edge; unknown filter paths are a bug, so throw.
mongoose.set('strictQuery', 'throw');
// Every query on a collection that belongs to accounts is scoped to one, or says why not (models/tenancy.ts).
mongoose.plugin(tenancyPlugin);

/**
 * Opens a dedicated mongoose connection to `uri`: any MongoDB connection string (a replica set's host list
 * with `replicaSet=`, `mongodb+srv://` for Atlas, `tls=true`/`tlsCAFile=`, `authSource=`...), read by the
 * driver itself. Writes wait for a majority of the replica set (`w: majority`) unless the URI sets `w`, so
 * an acknowledged turn survives a failover; reads go to the primary (the driver's default), so a client
 * reads what its turn wrote. Retryable writes and reads are the driver's defaults: a write interrupted by
 * an election is retried once on the new primary. What an election costs a turn: README "MongoDB in production".
 */
export async function connectDatabase(uri: string): Promise<mongoose.Connection> {
  const connection = await mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 20,
    ...(/[?&]w=/.test(uri) ? {} : { writeConcern: { w: 'majority' as const } }),
  }).asPromise();
  return connection;
}

/**
 * Codes of a server that cannot serve now but will soon (an election, a shutdown, a node that is no longer
 * primary, a network failure the server saw).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * Whether `error` is the database being unreachable or between primaries, rather than a bad query: the
 * API answers these 503 with Retry-After, and activities are retried by Temporal.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false;
  const { mongo } = mongoose;
  if (error instanceof mongo.MongoNetworkError || error instanceof mongo.MongoServerSelectionError || error instanceof mongo.MongoTopologyClosedError) return true;
  if ((error as { name?: unknown }).name === 'MongooseServerSelectionError') return true;
  if (error instanceof mongo.MongoError && (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('ResetPool'))) return true;
  const code = (error as { code?: unknown }).code;
  if (error instanceof mongo.MongoError && typeof code === 'number' && UNAVAILABLE_CODES.has(code)) return true;
  return isDatabaseUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/** Creates the indexes of every model registered on the connection (idempotent). */
export async function syncIndexes(db: mongoose.Connection): Promise<void> {
  for (const model of Object.values(db.models)) await model.createIndexes();
}
