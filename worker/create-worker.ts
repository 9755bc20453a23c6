import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Connection } from 'mongoose';
import { createActivities } from '../activities';
import type { HttpOptions } from '../activities/http/call-endpoint';
import type { SecretBox } from '../models/secret-box';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  db: Connection;
  secrets: SecretBox;
  http?: HttpOptions;
  taskQueue: string;
  namespace?: string;
  /** Path of a prebuilt workflow bundle; when absent the worker bundles `workflows/` itself. */
  workflowBundlePath?: string;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
}

/** Builds the Parley worker: every workflow and activity, wired to its dependencies. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    ...workflowSource,
    activities: createActivities({ db: options.db, secrets: options.secrets, http: options.http }),
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? 200,
    maxCachedWorkflows: options.maxCachedWorkflows ?? 2000,
  });
}
