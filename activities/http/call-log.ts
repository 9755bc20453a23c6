/**
 * Call logs: one document per attempt of every outbound call, what was sent (secrets masked) and what
 * came back (trimmed to 4 KB, secrets masked). Written before the activity returns or throws, so a
 * retried call leaves one log per attempt.
 */
import { asyncLocalStorage, log } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import { MASK, type Masker } from '../../core/http/mask';
import type { RenderedRequest } from '../../core/http/request';
import type { CallLogDoc } from '../../models/connection.model';
import { attemptInfo } from './activity-context';
import type { SendResult } from './send';

export const LOG_BODY_BYTES = 4096;

/** `log_<ms in base36, 9 digits><random>`: sorts by creation time (9 digits last until the year 5188). */
export function newCallLogId(now = Date.now()): string {
  return `log_${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export interface CallLogInput {
  accountId: string;
  connectionId: string;
  endpointId?: string;
  kind: CallLogDoc['kind'];
  request: RenderedRequest;
  /** Lower-case names of headers whose values are secret: stored as `•••`. */
  secretHeaders: readonly string[];
  mask: Masker;
  result: SendResult;
  success: boolean;
  error?: string;
  conversationId?: string;
  workflowId?: string;
}

// Response headers that carry the tenant's own credentials or sessions.
const SENSITIVE_RESPONSE_HEADERS = new Set(['set-cookie', 'authorization', 'proxy-authenticate', 'www-authenticate']);

export function buildCallLog(input: CallLogInput): CallLogDoc {
  const { mask } = input;
  const context = attemptInfo();
  const headers = Object.fromEntries(Object.entries(input.request.headers).map(([name, value]) => [name, input.secretHeaders.includes(name.toLowerCase()) ? MASK : mask(value)]));
  const doc: CallLogDoc = {
    _id: newCallLogId(),
    accountId: input.accountId,
    connectionId: input.connectionId,
    kind: input.kind,
    request: {
      method: input.request.method,
      url: mask(input.request.url),
      headers,
      ...(input.request.body !== undefined ? { body: trimBytes(mask(input.request.body), LOG_BODY_BYTES).text } : {}),
    },
    success: input.success,
    durationMs: input.result.durationMs,
    attempt: context.attempt,
    createdAt: new Date(),
  };
  if (input.endpointId) doc.endpointId = input.endpointId;
  if (input.conversationId) doc.conversationId = input.conversationId;
  const workflowId = input.workflowId ?? context.workflowId;
  if (workflowId) doc.workflowId = workflowId;
  // The run that made the call, so the log links to its history in the Web UI (the workflow id alone
  // names every run of a reset or continued workflow).
  if (context.runId && workflowId === context.workflowId) doc.runId = context.runId;
  if (input.error) doc.error = mask(input.error);
  if (input.result.kind === 'response') {
    const { status, body } = input.result;
    const trimmed = trimBytes(mask(body), LOG_BODY_BYTES);
    const responseHeaders = Object.fromEntries(Object.entries(input.result.headers).map(([name, value]) => [name, SENSITIVE_RESPONSE_HEADERS.has(name) ? MASK : mask(value)]));
    doc.status = status;
    doc.response = { status, headers: responseHeaders, ...(body ? { body: trimmed.text } : {}), truncated: trimmed.truncated };
  }
  return doc;
}

/**
 * Stores a call log. A failed write is reported to the worker log (the database error only) and not
 * thrown: the tenant API has already been called, and failing the activity would repeat that call.
 */
export async function writeCallLog(model: Model<CallLogDoc>, doc: CallLogDoc): Promise<void> {
  try {
    await model.collection.insertOne(doc as never);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (asyncLocalStorage.getStore()) log.warn('call log not written', { callLogId: doc._id, error: message });
    else console.warn(`[http] call log ${doc._id} not written: ${message}`);
  }
}

/** At most `limit` UTF-8 bytes of `text`, cut on a character boundary. */
export function trimBytes(text: string, limit: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text, truncated: false };
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back off to the start of a character
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}
