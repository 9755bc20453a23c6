/**
 * An OpenAPI 3.0/3.1 or Swagger 2.0 document, already validated and with its internal `$ref`s resolved
 * (api/routes/connections/openapi-import/document.ts does that with a maintained parser), turned into a
 * preview: the connection and one endpoint per operation. Pure: the same document always gives the same
 * preview, which is what lets a later import recognise what an earlier one wrote.
 */
import { connectionDraft } from './connection';
import { operationsOf } from './operations';
import { isObject, text, type Json } from './schemas';
import { OpenApiImportError, type ImportPreview } from './types';

/** Bounds of one import (README, "Import an OpenAPI document"). */
export const OPENAPI_IMPORT_LIMITS = {
  /** A document given inline or uploaded, in bytes. */
  documentBytes: 2 * 1024 * 1024,
  /** A document fetched from a URL travels through workflow history (Temporal refuses payloads over 2 MB). */
  urlDocumentBytes: 1024 * 1024,
  /** Operations a document may have (the preview lists them all). */
  operationsPerDocument: 1000,
  /** Operations created or updated by one import. */
  operationsPerImport: 200,
} as const;

export interface ConvertInput {
  /** The dereferenced document. */
  document: Json;
  /** Where it was fetched from: relative server URLs resolve against it. */
  documentUrl?: string;
}

export function convertDocument({ document, documentUrl }: ConvertInput): ImportPreview {
  const notes: string[] = [];
  const connection = connectionDraft(document, documentUrl, notes);
  const { operations, skipped } = operationsOf(document, notes);
  const count = operations.length + skipped.length;
  if (count > OPENAPI_IMPORT_LIMITS.operationsPerDocument) {
    throw new OpenApiImportError('too_many_operations', `the document has ${count} operations; at most ${OPENAPI_IMPORT_LIMITS.operationsPerDocument} can be imported from one document`, [{ pointer: '/paths', message: `${count} operations` }]);
  }
  for (const operation of operations) operation.notes = [...new Set(operation.notes)];
  const info = isObject(document.info) ? document.info : {};
  const swagger = document.swagger === '2.0';
  return {
    document: { specification: swagger ? 'swagger' : 'openapi', version: text(swagger ? document.swagger : document.openapi), title: text(info.title), apiVersion: text(info.version) },
    connection,
    operations,
    skipped,
    notes: [...new Set(notes)],
  };
}
