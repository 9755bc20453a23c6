import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { sendAgentMessage } from './agent-message';
import { closeConversation } from './close';
import { confirmAction } from './confirm';
import { streamEvents } from './events-stream';
import { getConversation, listConversations, listMessages } from './read';
import { releaseConversation } from './release';
import { sendMessage } from './send-message';
import { startConversation } from './start';

/** The API channel: start a conversation, send visitor messages, read transcripts. */
export function conversationsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/conversations', startConversation(deps));
  router.get('/v1/conversations', listConversations(deps));
  router.get('/v1/conversations/:id', getConversation(deps));
  router.post('/v1/conversations/:id/messages', sendMessage(deps));
  router.get('/v1/conversations/:id/messages', listMessages(deps));
  router.get('/v1/conversations/:id/events', streamEvents(deps, { pollMs: deps.config.SSE_POLL_MS, safetyPollMs: deps.config.SSE_SAFETY_POLL_MS, heartbeatMs: deps.config.SSE_HEARTBEAT_MS, maxStreams: deps.config.SSE_MAX_STREAMS }));
  router.post('/v1/conversations/:id/confirm', confirmAction(deps));
  router.post('/v1/conversations/:id/close', closeConversation(deps));
  router.post('/v1/conversations/:id/release', releaseConversation(deps));
  router.post('/v1/conversations/:id/agent-messages', sendAgentMessage(deps));
  return router;
}
