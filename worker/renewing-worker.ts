/**
 * Runs the worker on a Temporal connection that follows certificate renewals: drain and replace. A
 * NativeConnection cannot change its TLS identity, so when a watched certificate, key or CA file changes
 * (and the new files pass the checks of models/temporal-connection.ts) a new NativeConnection is opened
 * and a new Worker built on it and started; then the old Worker is shut down, which stops its polls and
 * waits for the tasks it already holds to complete (Worker.shutdown drains; an activity past the
 * shutdown grace time is cancelled and retried elsewhere, as on any worker restart), and its connection
 * is closed. Both poll the same task queue for the moment they overlap, like two replicas do. An API key
 * file that changes alone is applied in place (`NativeConnection.setApiKey`). A renewal that fails its
 * checks is logged and the running worker kept.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { watchFiles } from '../models/file-watch';
import type { StructuredLogger } from '../models/logger';
import { connectFailure, loadTemporalConnection, onlyApiKeyChanged, sdkConnectionOptions, type TemporalConnectionOptions, type TemporalConnectionSettings } from '../models/temporal-connection';

export interface RenewingWorkerOptions {
  settings: TemporalConnectionSettings;
  /** Builds a worker on a connection (worker/create-worker.ts with the process's dependencies). */
  build: (connection: NativeConnection) => Promise<Worker>;
  logger: Pick<StructuredLogger, 'info' | 'warn' | 'error'>;
  /** How often the files are stat'ed; default 10 s. */
  watchIntervalMs?: number;
  /** Called once the first worker runs (worker/main.ts logs "polling task queue" then). */
  onStarted?: (summary: string) => void;
}

const connect = (o: TemporalConnectionOptions): Promise<NativeConnection> =>
  NativeConnection.connect(sdkConnectionOptions(o)).catch(async (error: unknown) => {
    throw await connectFailure(error, o);
  });

/** Resolves when the worker stops for good (SIGINT/SIGTERM: the SDK shuts every worker down); rejects on a worker failure. */
export async function runRenewingWorker(options: RenewingWorkerOptions): Promise<void> {
  const { settings, build, logger, watchIntervalMs = 10_000 } = options;
  let current = loadTemporalConnection(settings);
  let connection = await connect(current);
  let worker: Worker;
  try {
    worker = await build(connection);
  } catch (error) {
    await connection.close();
    throw error;
  }
  let running = worker.run();
  let stopping = false;
  options.onStarted?.(current.summary);

  const reload = async (): Promise<void> => {
    if (stopping) return;
    let next: TemporalConnectionOptions;
    try {
      next = loadTemporalConnection(settings);
    } catch (error) {
      logger.error({ err: error }, 'Temporal connection files changed but cannot be used; keeping the running worker');
      return;
    }
    if (onlyApiKeyChanged(current, next)) {
      if (next.apiKey !== undefined && next.apiKey !== current.apiKey) {
        await connection.setApiKey(next.apiKey);
        logger.info('Temporal API key renewed in place');
      }
      current = next;
      return;
    }
    const freshConnection = await connect(next);
    let freshWorker: Worker;
    try {
      freshWorker = await build(freshConnection);
    } catch (error) {
      await freshConnection.close();
      throw error;
    }
    if (stopping) {
      await freshConnection.close();
      return;
    }
    const old = { connection, worker, running };
    connection = freshConnection;
    worker = freshWorker;
    running = freshWorker.run();
    current = next;
    logger.info({ temporal: next.summary, certificateValidTo: next.certificateValidTo?.toISOString() }, 'Temporal connection renewed: a new worker polls on it; draining the old one');
    try {
      old.worker.shutdown();
    } catch {
      // already stopping (a signal arrived meanwhile)
    }
    await old.running.catch((error: unknown) => logger.warn({ err: error }, 'the replaced worker stopped with an error'));
    await old.connection.close();
    logger.info('the replaced worker drained and its connection closed');
  };

  const watch =
    current.watchedFiles.length > 0
      ? watchFiles({ paths: current.watchedFiles, intervalMs: watchIntervalMs, onChange: reload, onError: (error) => logger.error({ err: error }, 'Temporal connection renewal failed; keeping the running worker') })
      : undefined;
  try {
    // A replacement ends the awaited run: wait again on the one that replaced it.
    for (;;) {
      const awaited = running;
      try {
        await awaited;
      } catch (error) {
        if (awaited === running) throw error;
      }
      if (awaited === running) break;
    }
  } finally {
    stopping = true;
    watch?.stop();
    await connection.close().catch(() => undefined);
  }
}
