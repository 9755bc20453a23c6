/**
 * cURL import (core/curl): a corpus of commands as people paste them — browser "Copy as cURL" with `\`
 * continuations and `$'...'`, vendor docs (Stripe, Twilio, GitHub, Slack...) with `-u` and repeated `-d`,
 * `--json`, `-G` — each checked field by field, every draft validated by the create-endpoint schema and
 * rules, and every credential kept out of the draft. Then the refusals: anything that is not one curl
 * command, and anything that would need a shell.
 */
import { credentialPlan, reportOf } from '../../core/curl/credentials';
import { draftFromCurl, type CurlDraft } from '../../core/curl/draft';
import { CurlImportError } from '../../core/curl/errors';
import { shellWords } from '../../core/curl/shell-words';
import { CreateEndpointBody } from '../../models/connection.schema';
import { endpointIssues } from '../../api/routes/connections/endpoint-rules';
import { REDACTED, redactRecord } from '../../models/logger';

const draft = (command: string, baseUrl = 'https://api.example.com'): CurlDraft => {
  const result = draftFromCurl({ command, baseUrl });
  // Every draft is what the create-endpoint route accepts, as it is.
  const parsed = CreateEndpointBody.parse(result.endpoint);
  expect(endpointIssues(parsed)).toEqual([]);
  // No credential reaches the draft, in any spelling.
  const text = JSON.stringify(result.endpoint);
  for (const c of result.credentials) {
    expect(text).not.toContain(c.secret);
    if (c.password) expect(text).not.toContain(c.password);
    expect(JSON.stringify(reportOf(c, false))).not.toContain(c.password || c.secret);
  }
  return result;
};

const refused = (command: string, baseUrl = 'https://api.example.com'): CurlImportError => {
  try {
    draftFromCurl({ command, baseUrl });
  } catch (error) {
    if (error instanceof CurlImportError) return error;
    throw error;
  }
  throw new Error('not refused');
};

const param = (d: CurlDraft, name: string) => d.endpoint.parameters.find((p) => p.name === name);

describe('shell words', () => {
  it('reads single and double quotes, backslash escapes and comments as bash does', () => {
    expect(shellWords(`curl "a\\"b" 'c\\d' e\\ f 'it'\\''s' # a comment`)).toEqual(['curl', 'a"b', 'c\\d', 'e f', "it's"]);
  });

  it('removes line continuations outside single quotes, also inside double quotes and mid-word', () => {
    expect(shellWords('curl \\\n  -s \\\r\n  "ab\\\ncd" ef\\\ngh')).toEqual(['curl', '-s', 'abcd', 'efgh']);
  });

  it("reads ANSI-C strings $'...' with their escapes", () => {
    expect(shellWords(`curl $'{"a":"it\\'s\\n\\x41\\u00e9"}'`)).toEqual(['curl', '{"a":"it\'s\nAé"}']);
  });

  it('keeps a backtick inside $\'...\' literal, and escaped braces are not an expansion', () => {
    expect(shellWords("curl $'a`b' \\{x,y\\}")).toEqual(['curl', 'a`b', '{x,y}']);
  });

  it('keeps a "$" inside single quotes literal', () => {
    expect(shellWords(`curl 'https://api.example.com/$x'`)).toEqual(['curl', 'https://api.example.com/$x']);
  });

  it('accepts a path to curl and curl.exe', () => {
    expect(shellWords('/usr/bin/curl https://a.example')[0]).toBe('/usr/bin/curl');
    expect(shellWords('curl.exe https://a.example')[0]).toBe('curl.exe');
  });
});

describe('corpus: commands as they are pasted', () => {
  it('1. a bare GET', () => {
    const d = draft('curl https://api.example.com/v1/orders');
    expect(d.endpoint).toMatchObject({ name: 'GET /v1/orders', method: 'GET', path: '/v1/orders', parameters: [], sideEffects: false });
    expect(d.endpoint.bodyTemplate).toBeUndefined();
    expect(d.credentials).toEqual([]);
    expect(d.warnings).toEqual([]);
  });

  it('2. Chrome "Copy as cURL (bash)": continuations, $\'...\' body, browser headers and cookies', () => {
    const command = [
      "curl 'https://api.example.com/api/cart/items?locale=en-GB' \\",
      "  -H 'accept: */*' \\",
      "  -H 'accept-language: en-GB,en;q=0.9' \\",
      "  -H 'content-type: application/json' \\",
      "  -b 'session=abc123secret; theme=dark' \\",
      "  -H 'origin: https://shop.example.com' \\",
      '  -H \'sec-ch-ua: "Chromium";v="130"\' \\',
      "  -H 'sec-fetch-mode: cors' \\",
      "  -H 'user-agent: Mozilla/5.0' \\",
      `  --data-raw $'{"sku":"TEE-01","qty":2,"note":"it\\'s a gift"}'`,
    ].join('\n');
    const d = draft(command);
    expect(d.endpoint).toMatchObject({ method: 'POST', path: '/api/cart/items', sideEffects: true });
    expect(d.endpoint.parameters).toEqual([
      { name: 'locale', type: 'string', in: 'query', required: true, source: 'visitor', description: 'From the cURL command. Example: "en-GB".' },
      { name: 'sku', type: 'string', in: 'body', required: true, source: 'visitor', description: 'From the cURL command. Example: "TEE-01".' },
      { name: 'qty', type: 'integer', in: 'body', required: true, source: 'visitor', description: 'From the cURL command. Example: "2".' },
      { name: 'note', type: 'string', in: 'body', required: true, source: 'visitor', description: 'From the cURL command. Example: "it\'s a gift".' },
    ]);
    expect(d.endpoint.bodyTemplate).toBeUndefined();
    expect(d.credentials).toEqual([{ type: 'cookie', in: 'header', name: 'Cookie', secret: 'session=abc123secret; theme=dark' }]);
    expect(d.warnings).toEqual(['headers left out (the HTTP client sets them, or a browser added them): accept, accept-language, content-type, origin, sec-ch-ua, sec-fetch-mode, user-agent']);
  });

  it('3. Stripe docs: -u key: and repeated -d (a form)', () => {
    const d = draft('curl https://api.example.com/v1/customers \\\n  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \\\n  -d name="Jenny Rosen" \\\n  -d email=jenny@example.com \\\n  -d balance=-500');
    expect(d.endpoint.method).toBe('POST');
    expect(d.endpoint.parameters.map((p) => [p.name, p.type, p.in])).toEqual([
      ['name', 'string', 'body'],
      ['email', 'string', 'body'],
      ['balance', 'integer', 'body'],
    ]);
    expect(d.credentials).toEqual([{ type: 'basic', in: 'header', name: 'Authorization', username: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', password: '', secret: `Basic ${Buffer.from('sk_test_4eC39HqLyjWDarjtT1zdp7dc:').toString('base64')}` }]);
    // The user name is the key: it is not shown, and it is sealed whole as the Authorization header.
    expect(reportOf(d.credentials[0]!, true)).toEqual({ type: 'basic', in: 'header', name: 'Authorization', masked: 'Basic ••••', saved: true });
    expect(credentialPlan(d.credentials).auth).toEqual({ type: 'api_key', in: 'header', name: 'Authorization', value: d.credentials[0]!.secret });
    expect(d.warnings).toContain('the command sends a form (application/x-www-form-urlencoded); Parley sends the fields as a JSON body: check the API accepts JSON');
  });

  it('4. Twilio docs: --data-urlencode repeated and -u SID:token', () => {
    const d = draft("curl -X POST 'https://api.example.com/2010-04-01/Accounts/AC123/Messages.json' \\\n--data-urlencode 'To=+15558675310' \\\n--data-urlencode 'Body=Hello & welcome' \\\n-u AC123:authtoken456");
    expect(d.endpoint.path).toBe('/2010-04-01/Accounts/AC123/Messages.json');
    expect(d.endpoint.parameters.map((p) => [p.name, p.type, p.description])).toEqual([
      ['To', 'string', 'From the cURL command. Example: "+15558675310".'],
      ['Body', 'string', 'From the cURL command. Example: "Hello & welcome".'],
    ]);
    expect(reportOf(d.credentials[0]!, false)).toEqual({ type: 'basic', in: 'header', name: 'Authorization', masked: 'AC123:••••', saved: false });
    expect(credentialPlan(d.credentials).auth).toEqual({ type: 'basic', username: 'AC123', password: 'authtoken456' });
  });

  it('5. GitHub docs: -L, -X, -H repeated, Bearer token, a version header kept as a constant', () => {
    const d = draft('curl -L \\\n  -X GET \\\n  -H "Accept: application/vnd.github+json" \\\n  -H "Authorization: Bearer ghp_abcdef123456" \\\n  -H "X-GitHub-Api-Version: 2022-11-28" \\\n  https://api.example.com/repos/OWNER/REPO/issues');
    expect(d.endpoint.path).toBe('/repos/OWNER/REPO/issues');
    expect(d.endpoint.parameters).toEqual([
      { name: 'Accept', type: 'string', in: 'header', required: true, source: 'constant', constant: 'application/vnd.github+json', description: 'Sent as in the cURL command.' },
      { name: 'X-GitHub-Api-Version', type: 'string', in: 'header', required: true, source: 'constant', constant: '2022-11-28', description: 'Sent as in the cURL command.' },
    ]);
    expect(d.credentials).toEqual([{ type: 'bearer', in: 'header', name: 'Authorization', secret: 'ghp_abcdef123456' }]);
    expect(reportOf(d.credentials[0]!, false).masked).toBe('Bearer ••••');
  });

  it('6. --json sets POST and JSON; nested objects stay literal in a body template', () => {
    const d = draft(`curl --json '{"customer":{"name":"Ann","tags":["vip"]},"total":12.5,"paid":false,"ref":null}' https://api.example.com/orders`);
    expect(d.endpoint.method).toBe('POST');
    expect(d.endpoint.parameters.map((p) => [p.name, p.type, p.in])).toEqual([
      ['total', 'number', 'body'],
      ['paid', 'boolean', 'body'],
    ]);
    expect(d.endpoint.bodyTemplate).toEqual({ customer: { name: 'Ann', tags: ['vip'] }, total: '{{total}}', paid: '{{paid}}', ref: null });
    expect(d.warnings).toContain('body fields kept as fixed values in the body template: customer, ref');
  });

  it('7. -G with -d puts the data in the query', () => {
    const d = draft('curl -G https://api.example.com/search -d q=shoes -d limit=10 -d in_stock=true -d price_max=99.90');
    expect(d.endpoint.method).toBe('GET');
    expect(d.endpoint.parameters.map((p) => [p.name, p.type, p.in])).toEqual([
      ['q', 'string', 'query'],
      ['limit', 'integer', 'query'],
      ['in_stock', 'boolean', 'query'],
      ['price_max', 'number', 'query'],
    ]);
    expect(d.endpoint.bodyTemplate).toBeUndefined();
  });

  it('8. API-key header and key query parameter are lifted out', () => {
    const d = draft(`curl -H 'X-API-Key: k_live_9876' 'https://api.example.com/weather?city=Paris&api_key=q_secret_1'`);
    expect(d.endpoint.parameters.map((p) => p.name)).toEqual(['city']);
    expect(d.credentials).toEqual([
      { type: 'api_key', in: 'query', name: 'api_key', secret: 'q_secret_1' },
      { type: 'api_key', in: 'header', name: 'X-API-Key', secret: 'k_live_9876' },
    ]);
    const plan = credentialPlan(d.credentials);
    expect(plan.auth).toEqual({ type: 'api_key', in: 'header', name: 'X-API-Key', value: 'k_live_9876' });
    expect(plan.authIndex).toBe(1);
    expect(plan.headerIndexes).toEqual([]);
  });

  it('9. combined short flags and a value glued to its letter (-sSLk, -XPUT)', () => {
    const d = draft("curl -sSLk -XPUT https://api.example.com/items/42 -H'Content-Type: application/json' -d'{\"qty\":3}'");
    expect(d.endpoint).toMatchObject({ method: 'PUT', path: '/items/42', sideEffects: true });
    // Numeric segments are not guessed into parameters.
    expect(d.endpoint.parameters.map((p) => [p.name, p.in])).toEqual([['qty', 'body']]);
    expect(d.warnings).toContain("-k (--insecure) was ignored: Parley always checks the server's TLS certificate");
  });

  it('10. --opt=value forms and --url', () => {
    const d = draft('curl --request=DELETE --url=https://api.example.com/sessions/5f0c6a1e-2b3c-4d5e-8f90-123456789abc --header=X-Request-Source:docs');
    expect(d.endpoint).toMatchObject({ method: 'DELETE', path: '/sessions/5f0c6a1e-2b3c-4d5e-8f90-123456789abc' });
    expect(param(d, 'X-Request-Source')).toMatchObject({ in: 'header', constant: 'docs' });
  });

  it('11. the path is relative to the base path', () => {
    const d = draft("curl 'https://api.example.com/api/v2/bookings/slots?date=2026-01-31'", 'https://api.example.com/api/v2');
    expect(d.endpoint.path).toBe('/bookings/slots');
    expect(param(d, 'date')).toMatchObject({ type: 'string', in: 'query', description: 'From the cURL command. Example: "2026-01-31".' });
  });

  it('12. the base path itself is "/", and an explicit default port is the same origin', () => {
    expect(draft('curl https://api.example.com:443/api/v2', 'https://api.example.com/api/v2').endpoint.path).toBe('/');
  });

  it('13. Authorization: Basic is decoded into user and password', () => {
    const d = draft(`curl -H "Authorization: Basic ${Buffer.from('shop:pa55:word').toString('base64')}" https://api.example.com/me`);
    expect(credentialPlan(d.credentials).auth).toEqual({ type: 'basic', username: 'shop', password: 'pa55:word' });
  });

  it('14. another Authorization scheme is sealed whole as an API key header', () => {
    const d = draft('curl -H "Authorization: Token tok_777" https://api.example.com/me');
    expect(d.credentials).toEqual([{ type: 'api_key', in: 'header', name: 'Authorization', secret: 'Token tok_777' }]);
    expect(credentialPlan(d.credentials).auth).toEqual({ type: 'api_key', in: 'header', name: 'Authorization', value: 'Token tok_777' });
  });

  it('15. a bearer plus a vendor key header: one is the auth, the other an extra (sealed) header', () => {
    const d = draft("curl -H 'Authorization: Bearer t1' -H 'Ocp-Apim-Subscription-Key: s2' -H 'X-Auth-Token: t3' https://api.example.com/x");
    const plan = credentialPlan(d.credentials);
    expect(plan.auth).toEqual({ type: 'bearer', token: 't1' });
    expect(plan.headers).toEqual({ 'Ocp-Apim-Subscription-Key': 's2', 'X-Auth-Token': 't3' });
    expect(d.endpoint.parameters).toEqual([]);
  });

  it('16. user:password@ in the URL is a basic credential, not part of the path', () => {
    const d = draft('curl https://bob:s3cret@api.example.com/reports');
    expect(d.endpoint.path).toBe('/reports');
    expect(credentialPlan(d.credentials).auth).toEqual({ type: 'basic', username: 'bob', password: 's3cret' });
    // Malformed percent-encoding in the user info is taken as it stands, never a crash.
    expect(credentialPlan(draft('curl https://%E0:%A4@api.example.com/r').credentials).auth).toEqual({ type: 'basic', username: '%E0', password: '%A4' });
  });

  it('17. -d pieces are joined with & as curl does, and -d JSON without a content type is read as JSON', () => {
    const d = draft(`curl https://api.example.com/a -d '{"a":1}'`);
    expect(d.endpoint.parameters.map((p) => [p.name, p.type])).toEqual([['a', 'integer']]);
    expect(d.warnings).toContain('the command sends JSON without a Content-Type header; Parley sends it as application/json');
    const form = draft('curl https://api.example.com/a -d a=1 --data-raw b=@x --data-binary c=2');
    expect(form.endpoint.parameters.map((p) => [p.name, p.description])).toEqual([
      ['a', 'From the cURL command. Example: "1".'],
      ['b', 'From the cURL command. Example: "@x".'],
      ['c', 'From the cURL command. Example: "2".'],
    ]);
  });

  it('18. a JSON string that looks like a number stays a string; a secret-looking field shows no example', () => {
    const d = draft(`curl https://api.example.com/a -H 'Content-Type: application/json; charset=utf-8' -d '{"zip":"01234","password":"hunter2"}'`);
    expect(d.endpoint.parameters).toEqual([
      expect.objectContaining({ name: 'zip', type: 'string' }),
      expect.objectContaining({ name: 'password', type: 'string', description: 'From the cURL command.' }),
    ]);
    expect(JSON.stringify(d.endpoint)).not.toContain('hunter2');
  });

  it('19. body keys that cannot be placeholders are kept literal, and a colliding name is not declared twice', () => {
    const d = draft(`curl 'https://api.example.com/a?id=1' --json '{"id":2,"first-name":"Ann","items":[1,2]}'`);
    expect(d.endpoint.parameters.map((p) => [p.name, p.in])).toEqual([['id', 'query']]);
    expect(d.endpoint.bodyTemplate).toEqual({ id: 2, 'first-name': 'Ann', items: [1, 2] });
  });

  it('20. body keys MongoDB cannot store, or text that looks like a placeholder, are left out with a warning', () => {
    const d = draft(`curl https://api.example.com/a --json '{"a":{"$set":1},"b":{"c":"{{x}}"},"c":{"d":"ok"},"e":"{{y}}"}'`);
    expect(d.endpoint.bodyTemplate).toEqual({ c: { d: 'ok' }, e: '{{e}}' });
    expect(param(d, 'e')).toMatchObject({ in: 'body', description: 'From the cURL command. Example: "{{y}}".' });
    expect(d.warnings.filter((w) => w.startsWith('body field "'))).toHaveLength(2);
  });

  it('21. a repeated query parameter is declared once; a name that cannot be a parameter is left out', () => {
    const d = draft(`curl -g 'https://api.example.com/a?tag=x&tag=y&page[size]=10'`);
    expect(d.endpoint.parameters.map((p) => p.name)).toEqual(['tag']);
    expect(d.warnings).toEqual(['query parameter "tag" is repeated; it is declared once', 'query parameter "page[size]" cannot be a parameter name (letters, digits, _ and -) and was left out']);
  });

  it('22. Slack docs style: --data with a JSON body and a Bearer token, URL last', () => {
    const d = draft(`curl -X POST -H 'Authorization: Bearer xoxb-1-2-3' -H 'Content-type: application/json' --data '{"channel":"C123","text":"Hello"}' https://api.example.com/api/chat.postMessage`);
    expect(d.endpoint.path).toBe('/api/chat.postMessage');
    expect(d.endpoint.parameters.map((p) => p.name)).toEqual(['channel', 'text']);
    expect(d.credentials.map((c) => c.type)).toEqual(['bearer']);
  });

  it('23. -b and a Cookie header make one cookie credential; -A and -e are left out', () => {
    const d = draft("curl -b 'a=1' -H 'Cookie: b=2' -A 'my-agent/1.0' -e https://ref.example https://api.example.com/a");
    expect(d.credentials).toEqual([{ type: 'cookie', in: 'header', name: 'Cookie', secret: 'a=1; b=2' }]);
    expect(reportOf(d.credentials[0]!, false).masked).toBe('•••• (cookies)');
    expect(d.warnings).toEqual(['headers left out (the HTTP client sets them, or a browser added them): User-Agent, Referer']);
  });

  it('24. --compressed, -i, -v, -s, -S and -g are accepted and ignored; -g allows brackets in the URL', () => {
    const d = draft("curl --compressed -i -v -s -S -g 'https://api.example.com/a?filter=[1]'");
    expect(param(d, 'filter')).toMatchObject({ description: 'From the cURL command. Example: "[1]".' });
  });

  it('25. a header that repeats keeps its last value; a header without a value is ignored', () => {
    const d = draft("curl -H 'X-Trace: 1' -H 'x-trace: 2' -H 'X-Empty;' https://api.example.com/a");
    expect(d.endpoint.parameters).toEqual([expect.objectContaining({ name: 'x-trace', constant: '2' })]);
    expect(d.warnings).toContain('a header without a value (-H "Name;" or "Name:") was ignored');
  });

  it('26. a URL without a scheme is http:// as in curl', () => {
    expect(draft('curl localhost:8080/health', 'http://localhost:8080').endpoint.path).toBe('/health');
  });

  it('27. -X overrides the method even with data; a lower-case method is read upper-case', () => {
    expect(draft("curl -X patch https://api.example.com/a -d '{\"x\":1}'").endpoint.method).toBe('PATCH');
  });

  it('28. a top-level JSON array is kept as a fixed body', () => {
    const d = draft(`curl --json '[{"sku":"a"}]' https://api.example.com/batch`);
    expect(d.endpoint.bodyTemplate).toEqual([{ sku: 'a' }]);
    expect(d.endpoint.parameters).toEqual([]);
  });

  it('30. at most 50 parameters are declared; the body template never names one left out', () => {
    const fields = Array.from({ length: 60 }, (_, i) => `"f${i}":${i}`).join(',');
    const d = draft(`curl 'https://api.example.com/a?${Array.from({ length: 30 }, (_, i) => `q${i}=${i}`).join('&')}' --json '{${fields},"nested":{"a":1}}'`);
    expect(d.endpoint.parameters).toHaveLength(50);
    expect(d.endpoint.parameters.filter((p) => p.in === 'body')).toHaveLength(20);
    expect(d.endpoint.bodyTemplate).toMatchObject({ f0: '{{f0}}', f19: '{{f19}}', f20: 20, f59: 59, nested: { a: 1 } });
    expect(d.warnings).toContain("an endpoint has at most 50 parameters; the command's further parameters were left out");
  });

  it('31. a "__proto__" body key stays data, and an empty header value is ignored as curl does', () => {
    const d = draft(`curl -H 'X-Api-Key:' https://api.example.com/a --json '{"__proto__":{"x":1},"a":"b"}'`);
    expect(d.credentials).toEqual([]);
    expect(Object.hasOwn(d.endpoint.bodyTemplate as object, '__proto__')).toBe(true);
    expect(JSON.stringify(d.endpoint.bodyTemplate)).toBe('{"__proto__":{"x":1},"a":"{{a}}"}');
  });

  it('29. a fragment is dropped with a warning', () => {
    const d = draft("curl 'https://api.example.com/a#top'");
    expect(d.endpoint.path).toBe('/a');
    expect(d.warnings).toEqual(['the URL fragment (#...) was left out: it is never sent']);
  });
});

describe('logs', () => {
  it('redact a pasted command wherever a log record carries one', () => {
    expect(redactRecord({ body: { curl: "curl -H 'Authorization: Bearer x'" } })).toEqual({ body: { curl: REDACTED } });
  });
});

describe('refusals', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a pipe', 'curl https://api.example.com/a | jq .', /a pipe \(\|\)/],
    ['a ;', 'curl https://api.example.com/a; rm -rf /', /a ";"/],
    ['&&', 'curl https://api.example.com/a && echo done', /"&&"/],
    ['a redirection', 'curl https://api.example.com/a > out.json', /redirection/],
    ['an unquoted &', 'curl https://api.example.com/a?x=1&y=2', /glob|unquoted "&"/],
    ['a variable', 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/a', /shell variable \$TOKEN; paste its value/],
    ['a ${variable}', 'curl "https://api.example.com/${PATH_PART}"', /shell variable \$PATH_PART/],
    ['$(...)', 'curl https://api.example.com/$(whoami)', /command substitution "\$\(\.\.\.\)"/],
    ['backticks', 'curl "https://api.example.com/`whoami`"', /backticks/],
    ['a glob', 'curl https://api.example.com/*.json', /glob/],
    ['brace expansion', 'curl https://api.example.com/{a,b}', /brace expansion/],
    ['curl URL globbing', "curl 'https://api.example.com/items/[1-3]'", /globbing/],
    ['two commands on two lines', 'curl https://api.example.com/a\ncurl https://api.example.com/b', /several lines/],
    ['another program', 'wget https://api.example.com/a', /runs "wget", not curl/],
    ['several URLs', 'curl https://api.example.com/a https://api.example.com/b', /2 URLs/],
    ['no URL', 'curl -s', /no URL/],
    ['an unknown option', 'curl --proxy http://p:1 -Z https://api.example.com/a', /unsupported curl options --proxy, -Z/],
    ['a multipart form', 'curl -F file=@a.png https://api.example.com/a', /multipart forms are not supported/],
    ['a file body', 'curl -d @body.json https://api.example.com/a', /reads a file/],
    ['a header file', 'curl -H @headers.txt https://api.example.com/a', /reads headers from a file/],
    ['a cookie jar', 'curl -b cookies.txt https://api.example.com/a', /reads cookies from a file/],
    ['an option without its value', 'curl https://api.example.com/a -H', /-H needs a value/],
    ['an unsupported method', 'curl -X HEAD https://api.example.com/a', /method HEAD is not supported/],
    ['invalid JSON', "curl --json '{nope' https://api.example.com/a", /not valid JSON/],
    ['an XML body', "curl -H 'Content-Type: text/xml' -d '<a/>' https://api.example.com/a", /text\/xml; Parley endpoints send JSON bodies/],
    ['-u without a password', 'curl -u bob https://api.example.com/a', /without a password/],
    ['an unbalanced quote', "curl 'https://api.example.com/a", /unterminated single quote/],
    ['an unbalanced double quote', 'curl -H "A: b https://api.example.com/a', /unterminated double quote/],
    ['an empty command', '  \\\n  ', /empty/],
    ['a command longer than 10,000 characters', `curl https://api.example.com/a -H 'X-Pad: ${'x'.repeat(10_000)}'`, /longer than 10000 characters/],
    ['a non-http URL', 'curl ftp://api.example.com/a', /not a valid http\(s\) URL/],
  ];
  it.each(cases)('refuses %s', (_what, command, message) => {
    const error = refused(command);
    expect(error.code).toBe('invalid_curl');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['another host', 'curl https://evil.example.com/a'],
    ['another scheme', 'curl http://api.example.com/a'],
    ['another port', 'curl https://api.example.com:8443/a'],
    ['outside the base path', 'curl https://api.example.com/v1x/a'],
  ])('refuses %s with origin_mismatch', (_what, command) => {
    expect(refused(command, 'https://api.example.com/v1').code).toBe('origin_mismatch');
  });

  it('never quotes a credential in a refusal', () => {
    const error = refused("curl -H 'Authorization: Bearer sekrit-123' https://evil.example.com/a?api_key=sekrit-456 | tee x");
    expect(error.message).not.toMatch(/sekrit/);
    expect(refused('curl -H "X-Key: sekrit-789" https://evil.example.com/a').message).not.toMatch(/sekrit/);
  });

  it('refuses (never crashes on) arbitrary text', () => {
    const samples = ['curl', 'curl "', "curl $'", 'curl \\', 'curl --', 'curl - ', 'curl -H :', 'curl -d', 'curl %%%', 'curl http://[::1', 'curl https://api.example.com/%E0%A4%A', '(curl x)', '# only a comment', 'curl -X', 'curl --json=', 'curl https://api.example.com/a --json "" -d "&=&"'];
    // A fixed pseudo-random sequence (an LCG), so a failure names a command that can be run again.
    let seed = 20261203;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) samples.push(`curl ${i % 2 ? 'https://api.example.com/' : ''}${Array.from({ length: 16 }, () => String.fromCharCode(32 + Math.floor(next() * 95))).join('')}`);
    for (const command of samples) {
      try {
        const d = draftFromCurl({ command, baseUrl: 'https://api.example.com' });
        expect(CreateEndpointBody.safeParse(d.endpoint).success).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(CurlImportError);
      }
    }
  });
});
