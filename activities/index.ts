import type { Connection } from 'mongoose';
import { createTranscriptActivities } from './transcript';

/** Everything activities need from the outside world, injected so tests can pass their own. */
export interface ActivityDeps {
  db: Connection;
}

/** Builds every activity the worker registers, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTranscriptActivities(deps.db),
  };
}

/** The activity functions, as workflows see them (import this type only from workflow code). */
export type ConversationActivities = ReturnType<typeof createActivities>;
