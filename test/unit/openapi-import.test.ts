/**
 * OpenAPI import: each real public document under test/fixtures/openapi (README.md there says where each
 * comes from) read, validated, resolved and converted, and the result checked field by field against
 * what the document says; then the edge cases on small documents: circular references refused, external
 * references left alone without any request, bad documents reported at the JSON pointer of each problem.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseText, resolveDocument } from '../../api/routes/connections/openapi-import/document';
import { convertDocument } from '../../core/openapi-import/convert';
import { OpenApiImportError, type ImportPreview, type OperationDraft } from '../../core/openapi-import/types';

const MB2 = 2 * 1024 * 1024;
const fixture = (name: string): string => readFileSync(`${__dirname}/../fixtures/openapi/${name}`, 'utf8');

async function preview(source: string | object, documentUrl?: string): Promise<ImportPreview> {
  const parsed = typeof source === 'string' ? parseText(source, MB2) : source;
  return convertDocument({ document: await resolveDocument(parsed), ...(documentUrl && { documentUrl }) });
}

function operation(p: ImportPreview, key: string): OperationDraft {
  const found = p.operations.find((o) => o.key === key);
  if (!found) throw new Error(`no operation ${key}; have ${p.operations.map((o) => o.key).join(', ')}`);
  return found;
}

/** The error a bad document is refused with. */
async function refusal(source: string | object): Promise<OpenApiImportError> {
  try {
    await preview(source);
  } catch (error) {
    if (error instanceof OpenApiImportError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

const minimal = (paths: object, extra: object = {}) => ({ openapi: '3.0.3', info: { title: 'T', version: '1' }, paths, ...extra });
const ok = { '200': { description: 'ok' } };

describe('Swagger petstore 2.0 (swagger-api/swagger-ui test/specs/v2/petstore.json)', () => {
  let p: ImportPreview;
  beforeAll(async () => {
    p = await preview(fixture('petstore-2.0.json'));
  });

  it('takes the connection from host, basePath and schemes, and the API key from securityDefinitions', () => {
    expect(p.document).toEqual({ specification: 'swagger', version: '2.0', title: 'Swagger Petstore', apiVersion: '1.0.0' });
    expect(p.connection.name).toBe('Swagger Petstore');
    expect(p.connection.baseUrl).toBe('http://petstore.swagger.io/v2');
    expect(p.connection.servers).toEqual([{ index: 0, url: 'http://petstore.swagger.io/v2', description: '', usable: true }]);
    expect(p.connection.server).toBe(0);
    expect(p.connection.auth).toEqual({ type: 'api_key', in: 'header', name: 'api_key', value: '' });
    expect(p.connection.headers).toEqual({});
    expect(p.connection.unsupportedAuth).toEqual([{ scheme: 'petstore_auth', type: 'oauth2', note: expect.stringContaining('OAuth 2.0') }]);
  });

  it('makes one endpoint per operation, keyed by operationId', () => {
    expect(p.operations.map((o) => `${o.key} ${o.method} ${o.path}`)).toEqual([
      'addPet POST /pet',
      'updatePet PUT /pet',
      'findPetsByStatus GET /pet/findByStatus',
      'findPetsByTags GET /pet/findByTags',
      'getPetById GET /pet/{petId}',
      'updatePetWithForm POST /pet/{petId}',
      'deletePet DELETE /pet/{petId}',
      'placeOrder POST /store/order',
      'getOrderById GET /store/order/{orderId}',
      'deleteOrder DELETE /store/order/{orderId}',
      'createUser POST /user',
      'createUsersWithArrayInput POST /user/createWithArray',
      'createUsersWithListInput POST /user/createWithList',
      'loginUser GET /user/login',
      'logoutUser GET /user/logout',
      'getUserByName GET /user/{username}',
      'updateUser PUT /user/{username}',
      'deleteUser DELETE /user/{username}',
    ]);
    expect(p.skipped).toEqual([]);
  });

  it('getPetById: an integer path parameter, the Pet\'s scalar fields kept, no side effects', () => {
    const o = operation(p, 'getPetById');
    expect(o.pointer).toBe('/paths/~1pet~1{petId}/get');
    expect(o.endpoint).toEqual({
      name: 'Find pet by ID',
      description: 'Returns a pet when ID < 10.  ID > 10 or nonintegers will simulate API error conditions',
      method: 'GET',
      path: '/pet/{petId}',
      parameters: [{ name: 'petId', type: 'integer', required: true, in: 'path', description: 'ID of pet that needs to be fetched' }],
      responseFields: [
        { name: 'id', path: '$.id' },
        { name: 'name', path: '$.name' },
        { name: 'status', path: '$.status' },
      ],
      sideEffects: false,
    });
  });

  it('deletePet: a header parameter and a path parameter; DELETE has side effects', () => {
    const o = operation(p, 'deletePet').endpoint;
    expect(o.parameters).toEqual([
      { name: 'api_key', type: 'string', required: true, in: 'header', description: '' },
      { name: 'petId', type: 'integer', required: true, in: 'path', description: 'Pet id to delete' },
    ]);
    expect(o.sideEffects).toBe(true);
    expect(o.bodyTemplate).toBeUndefined();
  });

  it('addPet: the body schema ($ref to Pet) becomes body parameters and a template; objects and lists are named in notes', () => {
    const o = operation(p, 'addPet');
    expect(o.endpoint.description).toBe('Add a new pet to the store');
    expect(o.endpoint.parameters).toEqual([
      { name: 'id', type: 'integer', required: false, in: 'body', description: '' },
      { name: 'name', type: 'string', required: true, in: 'body', description: '' },
      { name: 'status', type: 'string', required: false, in: 'body', description: 'pet status in the store' },
    ]);
    expect(o.endpoint.bodyTemplate).toEqual({ id: '{{id}}', name: '{{name}}', status: '{{status}}' });
    expect(o.endpoint.responseFields).toEqual([]);
    expect(o.notes).toEqual([
      'the body field "category" is left out: it is an object; add it to the body template by hand',
      'the body field "photoUrls" is left out although required: it is a list; add it to the body template by hand',
      'the body field "tags" is left out: it is a list; add it to the body template by hand',
    ]);
  });

  it('updatePetWithForm: form fields are not mapped, the path parameter is typed as declared (string)', () => {
    const o = operation(p, 'updatePetWithForm');
    expect(o.endpoint.parameters).toEqual([{ name: 'petId', type: 'string', required: true, in: 'path', description: 'ID of pet that needs to be updated' }]);
    expect(o.notes).toEqual(['the form fields "name", "status" are left out: only JSON bodies are mapped']);
  });

  it('findPetsByStatus and loginUser: query parameters, an array sent as one value, a list or a string response keeps no field', () => {
    const byStatus = operation(p, 'findPetsByStatus');
    expect(byStatus.endpoint.parameters).toEqual([{ name: 'status', type: 'string', required: false, in: 'query', description: 'Status values that need to be considered for filter' }]);
    expect(byStatus.notes).toEqual(['parameter "status": an array in the document: one value is sent', 'the 200 response is a list: no fields kept (add paths such as [0].id by hand)']);
    const login = operation(p, 'loginUser').endpoint;
    expect(login.parameters).toEqual([
      { name: 'username', type: 'string', required: false, in: 'query', description: 'The user name for login' },
      { name: 'password', type: 'string', required: false, in: 'query', description: 'The password for login in clear text' },
    ]);
    expect(login.responseFields).toEqual([]);
  });

  it('updateUser: a body field named like the path parameter is left out, the rest of User mapped', () => {
    const o = operation(p, 'updateUser');
    expect(o.endpoint.parameters.map((x) => `${x.in}:${x.name}:${x.type}:${x.required}`)).toEqual([
      'path:username:string:true',
      'body:id:integer:false',
      'body:firstName:string:false',
      'body:lastName:string:false',
      'body:email:string:false',
      'body:password:string:false',
      'body:phone:string:false',
      'body:userStatus:integer:false',
    ]);
    expect(o.endpoint.parameters.at(-1)!.description).toBe('User Status');
    expect(o.notes).toEqual(['the body field "username" is left out: another parameter has its name; add it to the body template by hand']);
  });
});

describe('Swagger petstore 3.0 (swagger-api/swagger-petstore src/main/resources/openapi.yaml)', () => {
  let p: ImportPreview;
  beforeAll(async () => {
    p = await preview(fixture('petstore-3.0.yaml'));
  });

  it('takes the server and the apiKey security scheme', () => {
    expect(p.document).toMatchObject({ specification: 'openapi', version: '3.0.4', title: 'Swagger Petstore - OpenAPI 3.0' });
    expect(p.connection).toMatchObject({ name: 'Swagger Petstore - OpenAPI 3.0', baseUrl: 'https://petstore3.swagger.io/api/v3', server: 0 });
    expect(p.connection.auth).toEqual({ type: 'api_key', in: 'header', name: 'api_key', value: '' });
    expect(p.connection.unsupportedAuth.map((u) => u.scheme)).toEqual(['petstore_auth']);
    expect(p.operations).toHaveLength(19);
  });

  it('findPetsByStatus: a string enum query parameter', () => {
    expect(operation(p, 'findPetsByStatus').endpoint.parameters).toEqual([
      { name: 'status', type: 'enum', enum: ['available', 'pending', 'sold'], required: false, in: 'query', description: 'Status values that need to be considered for filter' },
    ]);
  });

  it('addPet: JSON request body fields with an enum, the 200 JSON response\'s scalars kept', () => {
    const o = operation(p, 'addPet').endpoint;
    expect(o).toMatchObject({ name: 'Add a new pet to the store.', description: 'Add a new pet to the store.', method: 'POST', sideEffects: true });
    expect(o.parameters).toEqual([
      { name: 'id', type: 'integer', required: false, in: 'body', description: '' },
      { name: 'name', type: 'string', required: true, in: 'body', description: '' },
      { name: 'status', type: 'enum', enum: ['available', 'pending', 'sold'], required: false, in: 'body', description: 'pet status in the store' },
    ]);
    expect(o.bodyTemplate).toEqual({ id: '{{id}}', name: '{{name}}', status: '{{status}}' });
    expect(o.responseFields).toEqual([
      { name: 'id', path: '$.id' },
      { name: 'name', path: '$.name' },
      { name: 'status', path: '$.status' },
    ]);
  });

  it('placeOrder: integer, string, enum and boolean body fields', () => {
    const o = operation(p, 'placeOrder').endpoint;
    expect(o.parameters.map((x) => [x.name, x.type, x.required, x.in])).toEqual([
      ['id', 'integer', false, 'body'],
      ['petId', 'integer', false, 'body'],
      ['quantity', 'integer', false, 'body'],
      ['shipDate', 'string', false, 'body'],
      ['status', 'enum', false, 'body'],
      ['complete', 'boolean', false, 'body'],
    ]);
    expect(o.parameters[4]).toMatchObject({ enum: ['placed', 'approved', 'delivered'], description: 'Order Status' });
    expect(o.responseFields.map((f) => f.name)).toEqual(['id', 'petId', 'quantity', 'shipDate', 'status', 'complete']);
  });

  it('updatePetWithForm and uploadFile: query parameters; a non-JSON body is named in a note', () => {
    expect(operation(p, 'updatePetWithForm').endpoint.parameters).toEqual([
      { name: 'petId', type: 'integer', required: true, in: 'path', description: 'ID of pet that needs to be updated' },
      { name: 'name', type: 'string', required: false, in: 'query', description: 'Name of pet that needs to be updated' },
      { name: 'status', type: 'string', required: false, in: 'query', description: 'Status of pet that needs to be updated' },
    ]);
    const upload = operation(p, 'uploadFile');
    expect(upload.endpoint.bodyTemplate).toBeUndefined();
    expect(upload.endpoint.responseFields).toEqual([
      { name: 'code', path: '$.code' },
      { name: 'type', path: '$.type' },
      { name: 'message', path: '$.message' },
    ]);
    expect(upload.notes).toEqual(['the request body is application/octet-stream: only JSON bodies are mapped']);
  });
});

describe('OAI petstore-expanded 3.0 (allOf)', () => {
  it('merges allOf (NewPet + id) into the response fields and the body', async () => {
    const p = await preview(fixture('petstore-expanded-3.0.yaml'));
    expect(p.connection.baseUrl).toBe('https://petstore.swagger.io/v2');
    expect(p.connection.auth).toEqual({ type: 'none' });
    const add = operation(p, 'addPet').endpoint;
    expect(add.parameters).toEqual([
      { name: 'name', type: 'string', required: true, in: 'body', description: '' },
      { name: 'tag', type: 'string', required: false, in: 'body', description: '' },
    ]);
    expect(add.responseFields).toEqual([
      { name: 'name', path: '$.name' },
      { name: 'tag', path: '$.tag' },
      { name: 'id', path: '$.id' },
    ]);
    const find = operation(p, 'findPets');
    expect(find.endpoint.parameters).toEqual([
      { name: 'tags', type: 'string', required: false, in: 'query', description: 'tags to filter by' },
      { name: 'limit', type: 'integer', required: false, in: 'query', description: 'maximum number of results to return' },
    ]);
    expect(find.endpoint.name).toBe('findPets');
    expect(find.endpoint.description.length).toBeLessThanOrEqual(1000);
    // An operationId with spaces is still the key; the path parameter is typed from its schema.
    expect(operation(p, 'find pet by id').endpoint.parameters).toEqual([{ name: 'id', type: 'integer', required: true, in: 'path', description: 'ID of pet to fetch' }]);
  });
});

describe('Train Travel API 3.1, a booking API (bump-sh-examples/train-travel-api openapi.yaml)', () => {
  let p: ImportPreview;
  beforeAll(async () => {
    p = await preview(fixture('train-travel-3.1.yaml'));
  });

  it('lists both servers and picks the first https one; OAuth2 is reported unsupported', () => {
    expect(p.document).toMatchObject({ version: '3.1.0', title: 'Train Travel API' });
    expect(p.connection.servers).toEqual([
      { index: 0, url: 'https://try.microcks.io/rest/Train+Travel+API/1.0.0', description: 'Mock Server', usable: true },
      { index: 1, url: 'https://api.example.com', description: 'Production', usable: true },
    ]);
    expect(p.connection.server).toBe(0);
    expect(p.connection.baseUrl).toBe('https://try.microcks.io/rest/Train+Travel+API/1.0.0');
    expect(p.connection.auth).toEqual({ type: 'none' });
    expect(p.connection.unsupportedAuth).toEqual([{ scheme: 'OAuth2', type: 'oauth2', note: expect.stringContaining('bearer') }]);
    expect(p.notes).toEqual(['the document lists 2 servers; server 0 is used (choose another with connection.server)', 'webhooks (requests the API sends to you) are not imported']);
    expect(p.operations.map((o) => o.key)).toEqual(['get-stations', 'get-trips', 'get-bookings', 'create-booking', 'get-booking', 'delete-booking', 'create-booking-payment']);
  });

  it('get-trips: required query parameters from $ref\'d components, date-time as a string, booleans', () => {
    expect(operation(p, 'get-trips').endpoint.parameters.map((x) => [x.name, x.type, x.required, x.in])).toEqual([
      ['page', 'integer', false, 'query'],
      ['limit', 'integer', false, 'query'],
      ['origin', 'string', true, 'query'],
      ['destination', 'string', true, 'query'],
      ['date', 'string', true, 'query'],
      ['bicycles', 'boolean', false, 'query'],
      ['dogs', 'boolean', false, 'query'],
    ]);
  });

  it('get-booking / delete-booking: the path-level bookingId parameter is merged into each operation', () => {
    for (const key of ['get-booking', 'delete-booking']) {
      expect(operation(p, key).endpoint.parameters).toEqual([{ name: 'bookingId', type: 'string', required: true, in: 'path', description: 'The ID of the booking to retrieve.' }]);
    }
    expect(operation(p, 'delete-booking').endpoint.sideEffects).toBe(true);
    expect(operation(p, 'get-booking').endpoint.responseFields.map((f) => f.name)).toEqual(['id', 'trip_id', 'passenger_name', 'has_bicycle', 'has_dog']);
  });

  it('create-booking: body fields with descriptions, 201 response kept', () => {
    const o = operation(p, 'create-booking').endpoint;
    expect(o.parameters).toEqual([
      { name: 'trip_id', type: 'string', required: false, in: 'body', description: 'Identifier of the booked trip' },
      { name: 'passenger_name', type: 'string', required: false, in: 'body', description: 'Name of the passenger' },
      { name: 'has_bicycle', type: 'boolean', required: false, in: 'body', description: 'Indicates whether the passenger has a bicycle.' },
      { name: 'has_dog', type: 'boolean', required: false, in: 'body', description: 'Indicates whether the passenger has a dog.' },
    ]);
    expect(o.bodyTemplate).toEqual({ trip_id: '{{trip_id}}', passenger_name: '{{passenger_name}}', has_bicycle: '{{has_bicycle}}', has_dog: '{{has_dog}}' });
    expect(o.responseFields.map((f) => f.name)).toEqual(['id', 'trip_id', 'passenger_name', 'has_bicycle', 'has_dog']);
  });

  it('create-booking-payment: path-level parameter, the oneOf payment source noted and left out, the currency enum', () => {
    const o = operation(p, 'create-booking-payment');
    expect(o.endpoint.parameters).toEqual([
      { name: 'bookingId', type: 'string', required: true, in: 'path', description: 'The ID of the booking to pay for.' },
      { name: 'amount', type: 'number', required: false, in: 'body', description: 'Amount intended to be collected by this payment. A positive decimal figure describing the amount to be collected.' },
      { name: 'currency', type: 'enum', enum: ['bam', 'bgn', 'chf', 'eur', 'gbp', 'nok', 'sek', 'try'], required: false, in: 'body', description: 'Three-letter [ISO currency code](https://www.iso.org/iso-4217-currency-codes.html), in lowercase.' },
    ]);
    expect(o.endpoint.bodyTemplate).toEqual({ amount: '{{amount}}', currency: '{{currency}}' });
    expect(o.notes).toEqual([
      'body field "source": oneOf has 2 alternatives; the first one\'s fields are used',
      'the body field "source" is left out: it is an object; add it to the body template by hand',
    ]);
  });
});

describe('VTEX Reviews and Ratings API 3.0, a shop API (vtex/openapi-schemas)', () => {
  let p: ImportPreview;
  beforeAll(async () => {
    p = await preview(fixture('vtex-reviews-ratings-3.0.json'));
  });

  it('substitutes the server variable default; the first API key is the auth, the other header keys are extra headers', () => {
    expect(p.connection.servers).toEqual([{ index: 0, url: 'https://storecomponents.myvtex.com', description: 'VTEX server URL', usable: true }]);
    expect(p.connection.auth).toEqual({ type: 'api_key', in: 'header', name: 'X-VTEX-API-AppKey', value: '' });
    expect(p.connection.headers).toEqual({ 'X-VTEX-API-AppToken': '', VtexIdclientAutCookie: '' });
    expect(p.connection.unsupportedAuth).toEqual([]);
  });

  it('EditReview: Content-Type and Accept header parameters are Parley\'s; required body fields typed', () => {
    const o = operation(p, 'EditReview').endpoint;
    expect(o.method).toBe('PATCH');
    expect(o.parameters.slice(0, 6)).toEqual([
      { name: 'reviewId', type: 'string', required: true, in: 'path', description: 'Review ID.' },
      { name: 'productId', type: 'string', required: true, in: 'body', description: 'Product ID.' },
      { name: 'rating', type: 'number', required: true, in: 'body', description: 'Customer rating.' },
      { name: 'title', type: 'string', required: true, in: 'body', description: "Review's title." },
      { name: 'text', type: 'string', required: true, in: 'body', description: "Review's text." },
      { name: 'reviewerName', type: 'string', required: true, in: 'body', description: 'Reviewer name.' },
    ]);
    expect(o.parameters.some((x) => x.in === 'header')).toBe(false);
  });

  it('GetProductRating: the response\'s numbers kept', () => {
    expect(operation(p, 'GetProductRating').endpoint.responseFields.map((f) => f.name)).toEqual(['average', 'totalCount', 'starsFive', 'starsFour', 'starsThree', 'starsTwo', 'starsOne']);
  });
});

describe('resolution', () => {
  it('merges path-level parameters with the operation\'s, the operation winning by name and place', async () => {
    const p = await preview(
      minimal({
        '/items/{id}': {
          parameters: [
            { name: 'id', in: 'path', required: true, description: 'path level', schema: { type: 'string' } },
            { name: 'verbose', in: 'query', schema: { type: 'boolean' } },
          ],
          get: { operationId: 'getItem', parameters: [{ name: 'id', in: 'path', required: true, description: 'operation level', schema: { type: 'integer' } }], responses: ok },
        },
      }),
    );
    expect(operation(p, 'getItem').endpoint.parameters).toEqual([
      { name: 'id', type: 'integer', required: true, in: 'path', description: 'operation level' },
      { name: 'verbose', type: 'boolean', required: false, in: 'query', description: '' },
    ]);
  });

  it('maps email, date, 3.1 nullable type lists, allOf and anyOf in a body; keys without operationId are METHOD /path', async () => {
    const p = await preview({
      openapi: '3.1.0',
      info: { title: 'T', version: '1' },
      paths: {
        '/people': {
          post: {
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    allOf: [
                      { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
                      { anyOf: [{ properties: { born: { type: 'string', format: 'date' } } }, { properties: { age: { type: 'integer' } } }] },
                    ],
                    properties: { score: { type: ['number', 'null'] } },
                  },
                },
              },
            },
            responses: ok,
          },
          head: { responses: ok },
        },
      },
    });
    const o = operation(p, 'POST /people');
    expect(o.operationId).toBeNull();
    expect(o.endpoint.name).toBe('POST /people');
    expect(o.endpoint.parameters).toEqual([
      { name: 'email', type: 'email', required: true, in: 'body', description: '' },
      { name: 'born', type: 'date', required: false, in: 'body', description: '' },
      { name: 'score', type: 'number', required: false, in: 'body', description: '' },
    ]);
    expect(o.notes).toEqual(["the request body: anyOf has 2 alternatives; the first one's fields are used"]);
    expect(p.skipped).toEqual([{ key: 'HEAD /people', method: 'HEAD', path: '/people', pointer: '/paths/~1people/head', reason: 'HEAD is not a method an endpoint can call' }]);
  });

  it('maps bearer and basic schemes, reports cookie keys and OpenID Connect; server variables and relative servers', async () => {
    const p = await preview(
      minimal(
        { '/x': { get: { responses: ok } } },
        {
          servers: [
            { url: '/relative' },
            { url: 'http://{host}:8080/v1', variables: { host: { default: 'plain.example.com' } } },
            { url: 'https://{region}.example.com', variables: { region: { default: 'eu' } } },
          ],
          security: [{ cookieKey: [] }, { basicAuth: [] }],
          components: {
            securitySchemes: {
              bearerAuth: { type: 'http', scheme: 'bearer' },
              basicAuth: { type: 'http', scheme: 'basic' },
              cookieKey: { type: 'apiKey', in: 'cookie', name: 'sid' },
              oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://example.com/.well-known/openid-configuration' },
            },
          },
        },
      ),
    );
    expect(p.connection.servers).toEqual([
      { index: 0, url: '/relative', description: '', usable: false, note: expect.stringContaining('relative') },
      { index: 1, url: 'http://plain.example.com:8080/v1', description: '', usable: true },
      { index: 2, url: 'https://eu.example.com', description: '', usable: true },
    ]);
    expect(p.connection.server).toBe(2);
    // The required scheme comes first (basic), then the declared ones.
    expect(p.connection.auth).toEqual({ type: 'basic', username: '', password: '' });
    expect(p.connection.unsupportedAuth.map((u) => [u.scheme, u.type])).toEqual([
      ['cookieKey', 'apiKey'],
      ['oidc', 'openIdConnect'],
    ]);
    expect(p.notes).toContain('the security scheme "bearerAuth" (bearer) is not used: a connection holds one auth');

    const fetched = await preview(minimal({ '/x': { get: { responses: ok } } }, { servers: [{ url: '/api/v3' }] }), 'https://docs.example.com/spec/openapi.json');
    expect(fetched.connection.baseUrl).toBe('https://docs.example.com/api/v3');
  });

  it('refuses a circular reference, naming where it loops', async () => {
    const error = await refusal(
      minimal(
        { '/nodes': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } } } },
        { components: { schemas: { Node: { type: 'object', properties: { id: { type: 'string' }, next: { $ref: '#/components/schemas/Node' } } } } } },
      ),
    );
    expect(error.code).toBe('circular_reference');
    expect(error.problems).toEqual([{ pointer: '/components/schemas/Node/properties/next', message: 'this $ref leads back to itself' }]);
  });

  it('never follows an external $ref: no request is made, the place is noted', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end('{"type":"object","properties":{"stolen":{"type":"string"}}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schema.json`;
    try {
      const p = await preview(
        minimal({
          '/orders': {
            post: {
              operationId: 'createOrder',
              requestBody: { content: { 'application/json': { schema: { $ref: url } } } },
              responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: './order.yaml#/Order' } } } } },
            },
          },
        }),
      );
      const o = operation(p, 'createOrder');
      expect(o.endpoint.parameters).toEqual([]);
      expect(o.endpoint.responseFields).toEqual([]);
      expect(o.notes).toEqual([
        `the request body: the reference ${url} points outside the document and was not followed`,
        'the request body is untyped, not an object: no body fields mapped (write the body template by hand)',
        'the 200 response: the reference ./order.yaml#/Order points outside the document and was not followed',
      ]);
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('bad documents', () => {
  it('names the JSON pointer of each schema problem', async () => {
    const error = await refusal({ openapi: '3.0.3', info: { title: 'T' }, paths: { '/pets': { get: { summary: 'no responses' }, post: { responses: { '200': { description: 7 } } } } } });
    expect(error.code).toBe('invalid_document');
    const pointers = error.problems.map((p) => p.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/info', '/paths/~1pets/get', '/paths/~1pets/post/responses/200/description']));
    expect(error.problems).toContainEqual({ pointer: '/paths/~1pets/get', message: "must have required property 'responses'" });
    expect(error.problems).toContainEqual({ pointer: '/info', message: "must have required property 'version'" });
  });

  it('names where a $ref that points to nothing is used', async () => {
    const error = await refusal(minimal({ '/pets': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } } }));
    expect(error.problems).toEqual([{ pointer: '/paths/~1pets/get/responses/200/content/application~1json/schema/$ref', message: '$ref "#/components/schemas/Missing" points to nothing in the document' }]);
  });

  it('refuses what is not OpenAPI or Swagger 2.0, YAML syntax errors with their line, and oversize documents', async () => {
    expect((await refusal({ openapi: '2.5', info: {}, paths: {} })).problems).toEqual([{ pointer: '/openapi', message: expect.any(String) }]);
    expect((await refusal({ asyncapi: '2.0.0' })).problems).toEqual([{ pointer: '', message: expect.any(String) }]);
    const yaml = await refusal('openapi: 3.0.3\ninfo:\n  title: [unclosed\n');
    expect(yaml.code).toBe('invalid_document');
    expect(yaml.problems[0]!.message).toMatch(/^line \d+, column \d+: /);
    expect(() => parseText('x'.repeat(101), 100)).toThrow(expect.objectContaining({ code: 'document_too_large' }));
  });

  it('reads a JSON document given as text, and YAML with the same result', async () => {
    const doc = minimal({ '/a': { get: { operationId: 'a', responses: ok } } });
    const fromJson = await preview(JSON.stringify(doc));
    const fromYaml = await preview('openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses:\n        "200": {description: ok}\n');
    expect(fromYaml.operations).toEqual(fromJson.operations);
  });
});
