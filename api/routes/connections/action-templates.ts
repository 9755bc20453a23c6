/**
 * Ready-to-adapt starting points served by `GET /v1/action-templates`: each is a connection, its
 * endpoints and an action, in exactly the bodies the create routes take. To use one:
 *
 *   1. POST `connection` to /v1/connections (put your base URL and credentials in first).
 *   2. POST each `endpoints[i].endpoint` to /v1/connections/<connection id>/endpoints.
 *   3. In `action`, replace each `endpointId` (the template's `ref`) with the id step 2 returned, and
 *      POST it to /v1/actions.
 *
 * Static data, typed with the request schemas' input types so a schema change that breaks a template
 * fails to compile; test/integration/connections-api.test.ts also creates both through the API.
 */
import type { z } from 'zod';
import type { ActionBody, CreateConnectionBody, CreateEndpointBody } from '../../../models/connection.schema';

export interface ActionTemplate {
  id: string;
  name: string;
  description: string;
  steps: string[];
  connection: z.input<typeof CreateConnectionBody>;
  endpoints: Array<{ ref: string; endpoint: z.input<typeof CreateEndpointBody> }>;
  action: z.input<typeof ActionBody>;
}

const HOW_TO = [
  'POST `connection` to /v1/connections, with your own baseUrl and credentials.',
  'POST each `endpoints[].endpoint` to /v1/connections/{connectionId}/endpoints.',
  'In `action`, replace each steps[].endpointId (a `ref` of `endpoints`) with the created endpoint id, then POST it to /v1/actions.',
];

const wooCommerceOrderStatus: ActionTemplate = {
  id: 'woocommerce_order_status',
  name: 'WooCommerce order status with email verification',
  description:
    "Looks up an order in a WooCommerce shop (REST API v3) and shows its status only when the visitor gives the email address on the order: the response's billing email is compared in code before anything reaches the visitor or the LLM. Create a read-only REST API key in WooCommerce → Settings → Advanced → REST API; the consumer key and secret are sent as HTTP basic auth and stored encrypted.",
  steps: HOW_TO,
  connection: {
    name: 'My WooCommerce shop',
    baseUrl: 'https://shop.example.com',
    auth: { type: 'basic', username: 'ck_your_consumer_key', password: 'cs_your_consumer_secret' },
  },
  endpoints: [
    {
      ref: 'get_order',
      endpoint: {
        name: 'Get order',
        description: 'Reads one order by its number.',
        method: 'GET',
        path: '/wp-json/wc/v3/orders/{order_id}',
        parameters: [
          { name: 'order_id', type: 'integer', in: 'path', source: 'llm', description: 'The order number, e.g. 1234.' },
          {
            name: 'email',
            type: 'email',
            // Declared so the validation rule can compare it; WooCommerce ignores an unknown query argument.
            in: 'query',
            source: 'llm',
            description: 'The email address the visitor used for the order. Ask for it; never guess it.',
          },
        ],
        responseFields: [
          { name: 'status', path: '$.status' },
          { name: 'total', path: '$.total' },
          { name: 'date_created', path: '$.date_created' },
        ],
        validations: [
          { input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: "Sorry, I couldn't find an order with that number and email address." },
        ],
      },
    },
  ],
  action: {
    id: 'order_status',
    name: 'Order status',
    description: 'Looks up the status, total and date of an order. Needs the order number and the email address used for the order.',
    // order_id and email are not mapped, so they take the action inputs of the same names.
    steps: [{ id: 'order', endpointId: 'get_order' }],
  },
};

const tokenThenProtectedCall: ActionTemplate = {
  id: 'token_then_protected_call',
  name: 'Token authentication, then a protected call',
  description:
    "Two chained calls: POST /auth/token with the visitor's own username and password keeps `token`, then GET /me sends it as the Authorization header. " +
    'A step input is passed verbatim (there is no string template for it), so the kept `token` must already be the whole header value, e.g. "Bearer eyJ...": ' +
    'point the `token` response field at a property your token service returns in that form. If it only returns the bare token, this chain needs a value prefix that actions cannot express yet. ' +
    'username and password come from guided-flow answers (source "visitor"), never from the LLM; they pass through the conversation, so use this only where that is acceptable. ' +
    'Never store a service account password as a "constant" parameter: endpoint definitions are stored and returned in the clear (only connection auth and headers are encrypted).',
  steps: HOW_TO,
  connection: { name: 'My member portal', baseUrl: 'https://api.example.com', auth: { type: 'none' } },
  endpoints: [
    {
      ref: 'get_token',
      endpoint: {
        name: 'Get token',
        description: "Exchanges the visitor's username and password for an access token.",
        method: 'POST',
        path: '/auth/token',
        parameters: [
          { name: 'username', type: 'string', in: 'body', source: 'visitor', description: 'The username for the portal.' },
          { name: 'password', type: 'string', in: 'body', source: 'visitor', description: 'The password for the portal.' },
        ],
        bodyTemplate: { username: '{{username}}', password: '{{password}}' },
        responseFields: [{ name: 'token', path: '$.access_token' }],
      },
    },
    {
      ref: 'get_me',
      endpoint: {
        name: 'Who am I',
        description: 'Reads the profile of the signed-in user.',
        method: 'GET',
        path: '/me',
        parameters: [
          { name: 'authorization', type: 'string', in: 'header', source: 'step', description: 'The whole Authorization header value from the token step, e.g. "Bearer eyJ...".' },
        ],
        responseFields: [
          { name: 'name', path: '$.name' },
          { name: 'email', path: '$.email' },
        ],
      },
    },
  ],
  action: {
    id: 'my_profile',
    name: 'My profile',
    description: "Signs in with the visitor's username and password and reads their profile.",
    steps: [
      { id: 'login', endpointId: 'get_token' },
      { id: 'profile', endpointId: 'get_me', inputs: { authorization: { from: 'step', step: 'login', field: 'token' } } },
    ],
    outputStep: 'profile',
  },
};

export const ACTION_TEMPLATES: readonly ActionTemplate[] = [wooCommerceOrderStatus, tokenThenProtectedCall];
