/**
 * The API's Temporal connection, renewed without dropping in-flight calls. The client SDK cannot swap a
 * certificate inside a gRPC channel, so when a watched certificate, key or CA file changes the API opens a
 * new Connection (checked and connected first; a bad renewal is logged and the old connection kept) and
 * points the one Client at it: the Client reads `connection.workflowService` at each call
 * (@temporalio/client WorkflowClient), so calls started after the swap use the new channel while calls
 * already in flight (an Update waiting for the bot's reply) finish on the old one, which is closed after a
 * grace period. An API key file that changes alone is applied in place with `connection.setApiKey()`.
 */
import { Connection } from '@temporalio/client';
import { watchFiles, type FileWatch } from '../models/file-watch';
import type { StructuredLogger } from '../models/logger';
import { connectFailure, loadTemporalConnection, onlyApiKeyChanged, sdkConnectionOptions, type TemporalConnectionOptions, type TemporalConnectionSettings } from '../models/temporal-connection';

export interface RenewingConnection {
  /** Forwards every property to the current underlying Connection. */
  connection: Connection;
  /** How many times the underlying connection was replaced (for tests and logs). */
  generation(): number;
  /** Re-reads the files now (what the watcher does on a change). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface RenewingConnectionOptions {
  settings: TemporalConnectionSettings;
  logger: Pick<StructuredLogger, 'info' | 'warn' | 'error'>;
  /** How often the files are stat'ed; default 10 s. */
  watchIntervalMs?: number;
  /** How long a replaced connection stays open for its in-flight calls; default 2 minutes. */
  graceMs?: number;
  /** For tests: how a Connection is opened. */
  connect?: (options: TemporalConnectionOptions) => Promise<Connection>;
}

const sdkConnect = (o: TemporalConnectionOptions): Promise<Connection> =>
  Connection.connect(sdkConnectionOptions(o)).catch(async (error: unknown) => {
    throw await connectFailure(error, o);
  });

/** Opens the API's connection from the environment's settings (checked first) and keeps it renewed. */
export async function connectRenewingTemporal(options: RenewingConnectionOptions): Promise<RenewingConnection> {
  const { settings, logger, graceMs = 120_000, watchIntervalMs = 10_000, connect = sdkConnect } = options;
  let current = loadTemporalConnection(settings);
  let connection = await connect(current);
  let generation = 0;
  const retiring = new Set<{ connection: Connection; timer: NodeJS.Timeout }>();

  const reload = async (): Promise<void> => {
    let next: TemporalConnectionOptions;
    try {
      next = loadTemporalConnection(settings);
    } catch (error) {
      logger.error({ err: error }, 'Temporal connection files changed but cannot be used; keeping the current connection');
      return;
    }
    if (onlyApiKeyChanged(current, next)) {
      if (next.apiKey !== current.apiKey && next.apiKey !== undefined) {
        connection.setApiKey(next.apiKey);
        logger.info('Temporal API key renewed in place');
      }
      current = next;
      return;
    }
    const fresh = await connect(next);
    const old = connection;
    connection = fresh;
    current = next;
    generation += 1;
    const entry = { connection: old, timer: setTimeout(() => void retire(entry), graceMs) };
    entry.timer.unref();
    retiring.add(entry);
    logger.info({ temporal: next.summary, certificateValidTo: next.certificateValidTo?.toISOString(), generation, graceMs }, 'Temporal connection renewed: new calls use the new certificates, in-flight calls finish on the old connection');
  };
  const retire = async (entry: { connection: Connection; timer: NodeJS.Timeout }): Promise<void> => {
    retiring.delete(entry);
    clearTimeout(entry.timer);
    await entry.connection.close().catch((error: unknown) => logger.warn({ err: error }, 'closing a replaced Temporal connection failed'));
  };

  const watch: FileWatch | undefined =
    current.watchedFiles.length > 0
      ? watchFiles({ paths: current.watchedFiles, intervalMs: watchIntervalMs, onChange: reload, onError: (error) => logger.error({ err: error }, 'Temporal connection renewal failed; keeping the current connection') })
      : undefined;

  const proxy = new Proxy({} as Connection, {
    get(_target, property) {
      const value: unknown = Reflect.get(connection, property, connection);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(connection) : value;
    },
  });
  return {
    connection: proxy,
    generation: () => generation,
    reload,
    async close() {
      watch?.stop();
      await Promise.all([...retiring].map(retire));
      await connection.close();
    },
  };
}
