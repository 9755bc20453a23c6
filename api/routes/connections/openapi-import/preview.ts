/**
 * From the request to a checked preview: the document read (inline, or fetched by URL through a
 * workflow), validated and resolved, converted, and each draft endpoint put through the same checks as
 * `POST /v1/connections/:id/endpoints` (an operation whose draft fails them is listed as skipped, so
 * what the preview offers is what can be created).
 */
import { convertDocument, OPENAPI_IMPORT_LIMITS } from '../../../../core/openapi-import/convert';
import { IMPORTED_FIELD_NAMES, OpenApiImportError, type ImportedFields, type ImportPreview } from '../../../../core/openapi-import/types';
import { CreateEndpointBody } from '../../../../models/connection.schema';
import type { openApiDocumentWorkflow } from '../../../../workflows/openapi-import';
import type { ApiDeps } from '../../../deps';
import { AppError } from '../../../errors';
import { newId } from '../../../ids';
import { isWaitExpired } from '../../../temporal-errors';
import { endpointIssues } from '../endpoint-rules';
import { parseText, resolveDocument } from './document';

export interface DocumentSource {
  document?: string | Record<string, unknown>;
  url?: string;
  allowPrivateNetwork: boolean;
}

/** The preview of the request's document; a bad document is a 400 whose details name each problem's JSON pointer. */
export async function previewOf(deps: ApiDeps, accountId: string, source: DocumentSource): Promise<ImportPreview> {
  try {
    let parsed: unknown;
    let documentUrl: string | undefined;
    if (source.url !== undefined) {
      const fetched = await fetchDocument(deps, { accountId, url: source.url, allowPrivateNetwork: source.allowPrivateNetwork });
      parsed = parseText(fetched.text, OPENAPI_IMPORT_LIMITS.urlDocumentBytes);
      documentUrl = fetched.url;
    } else if (typeof source.document === 'string') {
      parsed = parseText(source.document, OPENAPI_IMPORT_LIMITS.documentBytes);
    } else {
      const size = Buffer.byteLength(JSON.stringify(source.document ?? null), 'utf8');
      if (size > OPENAPI_IMPORT_LIMITS.documentBytes) throw new OpenApiImportError('document_too_large', `the document is ${size} bytes; at most ${OPENAPI_IMPORT_LIMITS.documentBytes} are read`);
      parsed = source.document;
    }
    return checked(convertDocument({ document: await resolveDocument(parsed), ...(documentUrl !== undefined && { documentUrl }) }));
  } catch (error) {
    if (error instanceof OpenApiImportError) {
      throw new AppError(400, error.code, error.message, error.problems.map((p) => ({ pointer: p.pointer, message: p.message })));
    }
    throw error;
  }
}

/** Each draft as the create-endpoint route reads it (defaults filled), or skipped with the first problem. */
function checked(preview: ImportPreview): ImportPreview {
  const operations: ImportPreview['operations'] = [];
  for (const operation of preview.operations) {
    const parsed = CreateEndpointBody.safeParse(operation.endpoint);
    const issue = parsed.success ? endpointIssues(parsed.data)[0] : { field: parsed.error.issues[0]?.path.join('.') ?? '', message: parsed.error.issues[0]?.message ?? 'invalid' };
    if (!parsed.success || issue) {
      preview.skipped.push({ key: operation.key, method: operation.method, path: operation.path, pointer: operation.pointer, reason: `no valid endpoint can be made (${issue!.field}: ${issue!.message})` });
      continue;
    }
    operations.push({ ...operation, endpoint: importedFieldsOf(parsed.data) });
  }
  return { ...preview, operations };
}

/** The fields an import owns, from a parsed endpoint body. */
export function importedFieldsOf(body: CreateEndpointBody): ImportedFields {
  const fields: Record<string, unknown> = {};
  for (const name of IMPORTED_FIELD_NAMES) if (body[name] !== undefined) fields[name] = body[name];
  return fields as ImportedFields;
}

/** Runs the fetch workflow and waits for the document's text (the API itself never calls out). */
async function fetchDocument(deps: ApiDeps, input: { accountId: string; url: string; allowPrivateNetwork: boolean }): Promise<{ text: string; url: string }> {
  let result: Awaited<ReturnType<typeof openApiDocumentWorkflow>>;
  try {
    result = await deps.temporal.withDeadline(Date.now() + 60_000, () =>
      deps.temporal.workflow.execute<typeof openApiDocumentWorkflow>('openApiDocumentWorkflow', { workflowId: newId('openapi'), taskQueue: deps.config.TASK_QUEUE, args: [input] }),
    );
  } catch (error) {
    if (isWaitExpired(error)) throw new AppError(504, 'fetch_timeout', 'the document was not fetched in time; try again');
    throw error;
  }
  if (!result.ok) throw new AppError(400, 'document_unreachable', `the document could not be fetched: ${result.message}`, { reason: result.code, ...(result.status !== undefined && { status: result.status }) });
  return result;
}
