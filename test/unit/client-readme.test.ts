/**
 * The README's typed-client examples are the files in client/examples/, which the integration test
 * compiles and runs against a real server: each is quoted whole, under a comment naming it.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const examples = fs.readdirSync(path.join(ROOT, 'client', 'examples')).filter((name) => name.endsWith('.ts'));

describe("the README's typed client examples", () => {
  it('quote the five examples', () => {
    expect(examples.sort()).toEqual(['read-transcript.ts', 'send-message.ts', 'start-conversation.ts', 'stream-events.ts', 'verify-webhook.ts']);
  });

  it.each(examples)('quote client/examples/%s exactly', (name) => {
    const marker = `<!-- client/examples/${name} -->\n\`\`\`ts\n`;
    const start = readme.indexOf(marker);
    expect(start).toBeGreaterThanOrEqual(0);
    const code = readme.slice(start + marker.length, readme.indexOf('```\n', start + marker.length));
    expect(code).toBe(fs.readFileSync(path.join(ROOT, 'client', 'examples', name), 'utf8'));
  });
});
