/**
 * What an OpenAPI import produces: a draft connection and one draft endpoint per operation, in the
 * shapes of the connection and endpoint create bodies (models/connection.schema.ts), with what could not
 * be mapped said in plain words. Pure data: the converter builds it, the API shows it or writes it.
 */
import type { CreateEndpointBody, ImportedFields } from '../../models/connection.schema';

export type ImportMethod = CreateEndpointBody['method'];

/** A connection's auth as the document declares it, with every secret left empty for the user to fill. */
export type DraftAuth =
  | { type: 'none' }
  | { type: 'api_key'; in: 'header' | 'query'; name: string; value: '' }
  | { type: 'bearer'; token: '' }
  | { type: 'basic'; username: ''; password: '' };

/** One server of the document (3.x `servers`, 2.0 `schemes` × `host` + `basePath`). */
export interface ServerOption {
  index: number;
  /** The URL with the server variables' defaults substituted (and resolved against the document's URL). */
  url: string;
  description: string;
  /** An absolute http(s) URL a connection can use. */
  usable: boolean;
  note?: string;
}

export interface UnsupportedAuth {
  /** The security scheme's name in the document. */
  scheme: string;
  type: string;
  note: string;
}

export interface ConnectionDraft {
  name: string;
  /** The chosen server's URL, or null when none is usable (relative, or absent): give `connection.baseUrl`. */
  baseUrl: string | null;
  servers: ServerOption[];
  /** Index into `servers` of the chosen one (the first https one, else the first usable). */
  server: number | null;
  auth: DraftAuth;
  /** Further API-key headers the document declares (a connection has one auth), values empty. */
  headers: Record<string, string>;
  unsupportedAuth: UnsupportedAuth[];
}

/** The endpoint fields an import writes (and on a later import, updates unless edited locally). */
export type { ImportedFields };

export const IMPORTED_FIELD_NAMES = ['name', 'description', 'method', 'path', 'parameters', 'bodyTemplate', 'responseFields', 'sideEffects'] as const;

export interface OperationDraft {
  /** How this operation is named across imports: its operationId, else `METHOD /path`. */
  key: string;
  operationId: string | null;
  method: ImportMethod;
  /** The path as the document writes it. */
  path: string;
  /** JSON pointer of the operation in the document, e.g. `/paths/~1pets~1{petId}/get`. */
  pointer: string;
  endpoint: ImportedFields;
  /** What was simplified or left out, in plain words. */
  notes: string[];
}

export interface SkippedOperation {
  key: string;
  method: string;
  path: string;
  pointer: string;
  reason: string;
}

export interface ImportPreview {
  document: { specification: 'swagger' | 'openapi'; version: string; title: string; apiVersion: string };
  connection: ConnectionDraft;
  operations: OperationDraft[];
  skipped: SkippedOperation[];
  notes: string[];
}

/** A bad document: every problem with the JSON pointer where it is. */
export class OpenApiImportError extends Error {
  constructor(
    readonly code: 'invalid_document' | 'circular_reference' | 'document_too_large' | 'too_many_operations',
    message: string,
    readonly problems: Array<{ pointer: string; message: string }> = [],
  ) {
    super(message);
  }
}
