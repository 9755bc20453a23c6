/**
 * fetchOpenApiDocument as a plain function, with the tests' network policy (loopback tenant ports
 * allowlisted): a document is returned as text, and every refusal is an answer, never a throw.
 */
import http from 'node:http';
import { listenTenantUrl, tenantNetworkPolicy } from '../../test/tenant-ports';
import { createDocumentActivities } from './fetch-document';
import { createOutboundNetwork, type OutboundNetwork } from './network';

let server: http.Server;
let base: string;
let network: OutboundNetwork;
const paths: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/openapi.yaml') return void res.end('openapi: 3.1.0\n');
    if (req.url === '/moved') return void res.writeHead(301, { location: '/openapi.yaml' }).end();
    if (req.url === '/big') return void res.end('x'.repeat(1024 * 1024 + 1));
    res.statusCode = 404;
    res.end('no');
  });
  base = await listenTenantUrl(server);
  network = createOutboundNetwork(tenantNetworkPolicy());
});

afterAll(async () => {
  network.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fetchDocument = (url: string, allowPrivateNetwork = true) => createDocumentActivities({ http: { network } }).fetchOpenApiDocument({ accountId: 'acct_1', url, allowPrivateNetwork });

describe('fetchOpenApiDocument', () => {
  it('returns the document as text, without the fragment', async () => {
    expect(await fetchDocument(`${base}/openapi.yaml#/paths`)).toEqual({ ok: true, text: 'openapi: 3.1.0\n', url: `${base}/openapi.yaml` });
  });

  it('answers a refused address, a redirect, an HTTP error, a document over 1 MB and a bad URL as failures', async () => {
    paths.length = 0;
    expect(await fetchDocument(`${base}/openapi.yaml`, false)).toMatchObject({ ok: false, code: 'blocked_address' });
    expect(paths).toEqual([]);
    expect(await fetchDocument(`${base}/moved`)).toMatchObject({ ok: false, code: 'redirect', status: 301 });
    expect(await fetchDocument(`${base}/missing`)).toMatchObject({ ok: false, code: 'http_error', status: 404 });
    expect(await fetchDocument(`${base}/big`)).toMatchObject({ ok: false, code: 'too_large', message: 'The document is larger than 1048576 bytes.' });
    expect(await fetchDocument('ftp://example.com/x')).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(await fetchDocument('not a url')).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(paths).toEqual(['/moved', '/missing', '/big']);
  });
});
