/**
 * The OpenAPI import's URL fetch: the API never calls out itself, so a document named by URL is fetched
 * by this short workflow's one activity, through the same outbound checks as a connection's calls. The
 * answer (the document's text, at most 1 MB, or why it could not be read) is the workflow's result.
 */
import { proxyActivities } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { FetchOpenApiDocumentInput } from '../activities/http/fetch-document';
import { activityOptions } from './activity-policies';

const { fetchOpenApiDocument } = proxyActivities<ConversationActivities>(activityOptions('fetchOpenApiDocument'));

export async function openApiDocumentWorkflow(input: FetchOpenApiDocumentInput) {
  return fetchOpenApiDocument(input);
}
