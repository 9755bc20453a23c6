/**
 * The typed client's types (client/src/schema.d.ts) are generated from the OpenAPI document the server
 * builds from its route registry. This fails when the committed file differs from what openapi-typescript
 * makes of today's document: a route or schema changed without `npm run client:generate`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA_FILE, streamEventSchema } from '../../scripts/client-generate';

const ROOT = path.join(__dirname, '..', '..');

/** What `npm run client:generate` would write, run as the script itself (openapi-typescript is ESM). */
const generate = (): string =>
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'client-generate.ts'), '--stdout'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });

describe('client/src/schema.d.ts', () => {
  it('is what the generator makes of the OpenAPI document now (else: npm run client:generate)', () => {
    const generated = generate();
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    if (committed !== generated) {
      const a = committed.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      throw new Error(`client/src/schema.d.ts is out of date: run \`npm run client:generate\` and commit it (first difference at line ${line + 1}: committed ${JSON.stringify(a[line])}, generated ${JSON.stringify(b[line])})`);
    }
    // The paths the README's examples and `npm run chat` use, and the event stream's data type.
    for (const path of ['"/v1/conversations"', '"/v1/conversations/{id}/messages"', '"/v1/conversations/{id}/events"', '"/v1/conversations/{id}/confirm"', 'StreamEvent: {']) expect(generated).toContain(path);
  }, 60_000);

  it("takes the event stream's data types from each variant's contentSchema, and refuses a document without them", () => {
    const data = { type: 'object', properties: { type: { const: 'message.created' } } };
    const doc = { paths: { '/v1/conversations/{id}/events': { get: { responses: { 200: { content: { 'text/event-stream': { schema: { oneOf: [{ properties: { data: { type: 'string', contentSchema: data } } }] } } } } } } } } };
    expect(streamEventSchema(doc)).toEqual({ oneOf: [data] });
    expect(() => streamEventSchema({ paths: {} })).toThrow(/no text\/event-stream variants/);
    const partial = structuredClone(doc);
    partial.paths['/v1/conversations/{id}/events'].get.responses[200].content['text/event-stream'].schema.oneOf.push({ properties: { data: { type: 'string' } } } as never);
    expect(() => streamEventSchema(partial)).toThrow(/contentSchema/);
  });
});
