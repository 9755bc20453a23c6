import type { ConversationDoc, MessageDoc } from '../../../models/conversation.model';
import type { MessageView } from '../../../models/conversation.schema';

export const conversationView = (c: ConversationDoc) => ({
  id: c._id,
  botId: c.botId,
  botVersion: c.botVersion,
  channel: c.channel,
  websiteId: c.websiteId ?? null,
  externalUserId: c.externalUserId,
  contact: c.contact ?? null,
  variables: c.variables ?? {},
  status: c.status,
  messageCount: c.messageCount,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
  lastMessageAt: c.lastMessageAt?.toISOString() ?? null,
  closedAt: c.closedAt?.toISOString() ?? null,
});

export const messageView = (m: MessageDoc): MessageView => ({
  id: m._id,
  role: m.role,
  type: m.type,
  text: m.text,
  ...(m.agentId ? { agentId: m.agentId } : {}),
  ...(m.choices?.length ? { choices: m.choices } : {}),
  ...(m.sources?.length ? { sources: m.sources } : {}),
  ...(m.confirmation ? { confirmation: m.confirmation } : {}),
  createdAt: m.createdAt.toISOString(),
});
