/**
 * Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML text, or an already parsed object),
 * validates it and resolves its internal `$ref`s with @apidevtools/swagger-parser. External references
 * (other files, URLs) are never followed: resolution is off, so no file is read and no request is made;
 * the converter notes each one left. A circular reference is refused, as is a document that fails the
 * specification's schema; each problem is reported at its JSON pointer.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { parseDocument } from 'yaml';
import { OpenApiImportError } from '../../../../core/openapi-import/types';
import { isObject, type Json } from '../../../../core/openapi-import/schemas';

const MAX_PROBLEMS = 50;

/** The document as parsed JSON; a YAML or JSON syntax error is reported with its line and column. */
export function parseText(source: string, maxBytes: number): unknown {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > maxBytes) throw new OpenApiImportError('document_too_large', `the document is ${bytes} bytes; at most ${maxBytes} are read`);
  // YAML 1.2 reads JSON too. Aliases are capped (a "billion laughs" document would expand without end).
  const parsed = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  if (parsed.errors.length > 0) {
    const problems = parsed.errors.slice(0, MAX_PROBLEMS).map((e) => ({ pointer: '', message: `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}` }));
    throw new OpenApiImportError('invalid_document', `the document is not valid JSON or YAML (${problems[0]!.message})`, problems);
  }
  try {
    return parsed.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new OpenApiImportError('invalid_document', `the document cannot be read: ${(error as Error).message}`, [{ pointer: '', message: (error as Error).message }]);
  }
}

/** Validates `document` (not changed) and returns a copy with its internal references resolved. */
export async function resolveDocument(document: unknown): Promise<Json> {
  if (!isObject(document)) throw new OpenApiImportError('invalid_document', 'the document is not an object', [{ pointer: '', message: 'must be an object' }]);
  const version = typeof document.openapi === 'string' ? document.openapi : document.swagger;
  if (!(version === '2.0' || (typeof version === 'string' && /^3\.[01]\.\d+$/.test(version)))) {
    const pointer = 'openapi' in document ? '/openapi' : 'swagger' in document ? '/swagger' : '';
    throw new OpenApiImportError('invalid_document', 'not an OpenAPI 3.0/3.1 or Swagger 2.0 document (say which with "openapi": "3.x.y" or "swagger": "2.0")', [{ pointer, message: 'must be "openapi": "3.0.x" or "3.1.x", or "swagger": "2.0"' }]);
  }
  const circular: string[] = [];
  let resolved: unknown;
  try {
    resolved = await SwaggerParser.validate(structuredClone(document) as never, {
      resolve: { external: false },
      dereference: { circular: 'ignore', onCircular: (path: string) => circular.push(pointerAfterHash(path)) },
    });
  } catch (error) {
    throw problemsOf(error, document);
  }
  if (circular.length > 0) {
    const pointers = [...new Set(circular)].slice(0, MAX_PROBLEMS);
    throw new OpenApiImportError('circular_reference', `the document has a circular $ref at ${pointers[0]}; circular schemas cannot be imported`, pointers.map((pointer) => ({ pointer, message: 'this $ref leads back to itself' })));
  }
  return resolved as Json;
}

/** The parser's error as a 400: its schema errors each at their pointer, a missing $ref target where it is used. */
function problemsOf(error: unknown, document: Json): OpenApiImportError {
  const e = error as { message?: string; details?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>; code?: string; targetRef?: string };
  if (Array.isArray(e.details) && e.details.length > 0) {
    const seen = new Set<string>();
    const problems = e.details
      .map((d) => ({ pointer: d.instancePath ?? '', message: `${d.message ?? 'is not valid'}${d.params && 'additionalProperty' in d.params ? ` ("${String(d.params.additionalProperty)}")` : ''}` }))
      .filter((p) => !seen.has(`${p.pointer} ${p.message}`) && seen.add(`${p.pointer} ${p.message}`))
      .slice(0, MAX_PROBLEMS);
    return new OpenApiImportError('invalid_document', `the document does not follow the specification (${problems[0]!.pointer || '/'}: ${problems[0]!.message})`, problems);
  }
  if (e.code === 'EMISSINGPOINTER' && typeof e.targetRef === 'string') {
    const target = pointerAfterHash(e.targetRef);
    const uses = refsTo(document, `#${target}`).slice(0, MAX_PROBLEMS);
    const problems = (uses.length > 0 ? uses : ['']).map((pointer) => ({ pointer, message: `$ref "#${target}" points to nothing in the document` }));
    return new OpenApiImportError('invalid_document', `$ref "#${target}" points to nothing in the document (used at ${problems[0]!.pointer || '/'})`, problems);
  }
  // The parser's other messages may hold the process's working directory: never show server paths.
  const message = (e.message ?? 'the document is not valid').split(process.cwd()).join('').split('\n')[0]!;
  return new OpenApiImportError('invalid_document', message, [{ pointer: '', message }]);
}

/** `/srv/app/#/components/schemas/A` → `/components/schemas/A`. */
function pointerAfterHash(path: string): string {
  const at = path.indexOf('#');
  return at === -1 ? '' : path.slice(at + 1);
}

/** JSON pointers of every `$ref` equal to `ref` in the (unresolved) document. */
function refsTo(document: unknown, ref: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown, pointer: string): void => {
    if (found.length >= MAX_PROBLEMS || typeof value !== 'object' || value === null) return;
    if (!Array.isArray(value) && (value as Json).$ref === ref) found.push(`${pointer}/$ref`);
    for (const [key, child] of Object.entries(value)) walk(child, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  };
  walk(document, '');
  return found;
}
