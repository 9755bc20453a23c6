import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import type { ActionStep, EndpointParameter, ImportRecord, LongRunning, ResponseValidation } from './connection.schema';
import type { SealedSecret } from './secret-box';

/** A connection as stored: everything secret (auth credentials, extra headers) only in `sealed`. */
export interface ConnectionDoc {
  _id: string;
  accountId: string;
  name: string;
  baseUrl: string;
  /** The auth kind and its non-secret parts (header/parameter name, username) for display. */
  auth: { type: 'none' | 'api_key' | 'bearer' | 'basic'; in?: 'header' | 'query'; name?: string; username?: string };
  /** Names of the extra headers (their values are sealed). */
  headerNames: string[];
  /** `{ auth, headers }` sealed with AES-256-GCM; bound to the connection id. */
  sealed: SealedSecret;
  timeoutMs: number;
  allowPrivateNetwork: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What `sealed` holds once opened. Never leaves the worker's activities. */
export interface ConnectionSecrets {
  auth: { value?: string; token?: string; password?: string };
  headers: Record<string, string>;
}

const connectionSchema = new Schema<ConnectionDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    name: { type: String, required: true },
    baseUrl: { type: String, required: true },
    auth: { type: Schema.Types.Mixed, required: true },
    headerNames: { type: [String], default: [] },
    sealed: { type: Schema.Types.Mixed, required: true },
    timeoutMs: { type: Number, required: true },
    allowPrivateNetwork: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
connectionSchema.index({ accountId: 1, _id: 1 });

export interface EndpointDoc {
  _id: string;
  accountId: string;
  connectionId: string;
  name: string;
  description: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  parameters: EndpointParameter[];
  bodyTemplate?: unknown;
  responseFields: { name: string; path: string }[];
  validations: ResponseValidation[];
  sideEffects: boolean;
  timeoutMs?: number;
  retry: { maxAttempts: number; initialIntervalMs: number };
  /** A call that finishes later (issue 21); absent or null: the response is the result. */
  longRunning?: LongRunning | null;
  /** Set on an endpoint an OpenAPI import created: what it wrote, so a later import of the document updates only what the user has not changed. */
  imported?: ImportRecord | null;
  createdAt: Date;
  updatedAt: Date;
}

const endpointSchema = new Schema<EndpointDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    method: { type: String, required: true },
    path: { type: String, required: true },
    parameters: { type: Schema.Types.Mixed, default: [] },
    bodyTemplate: { type: Schema.Types.Mixed },
    responseFields: { type: Schema.Types.Mixed, default: [] },
    validations: { type: Schema.Types.Mixed, default: [] },
    sideEffects: { type: Boolean, default: false },
    timeoutMs: { type: Number },
    retry: { type: Schema.Types.Mixed, required: true },
    longRunning: { type: Schema.Types.Mixed },
    imported: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
endpointSchema.index({ accountId: 1, connectionId: 1, _id: 1 });

export interface ActionDoc {
  /** `<accountId>:<action id>`: action ids are the account's own slugs. */
  _id: string;
  accountId: string;
  actionId: string;
  name: string;
  description: string;
  steps: ActionStep[];
  outputStep?: string;
  createdAt: Date;
  updatedAt: Date;
}

const actionSchema = new Schema<ActionDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    actionId: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    steps: { type: Schema.Types.Mixed, required: true },
    outputStep: { type: String },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  // Keep empty objects (a step's `inputs: {}`): mongoose would drop them by default.
  { versionKey: false, minimize: false },
);
actionSchema.index({ accountId: 1, actionId: 1 }, { unique: true });

/** One outbound call, as sent (secrets masked) and as answered (trimmed). */
export interface CallLogDoc {
  _id: string;
  accountId: string;
  connectionId: string;
  endpointId?: string;
  kind: 'conversation' | 'endpoint_test' | 'connection_test';
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body?: string; truncated: boolean };
  status?: number;
  success: boolean;
  error?: string;
  durationMs: number;
  attempt: number;
  conversationId?: string;
  /** The workflow run that made the call (an action run, a Run Test or Test Connection run). */
  workflowId?: string;
  runId?: string;
  createdAt: Date;
}

const callLogSchema = new Schema<CallLogDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    endpointId: { type: String },
    kind: { type: String, required: true },
    request: { type: Schema.Types.Mixed, required: true },
    response: { type: Schema.Types.Mixed },
    status: { type: Number },
    success: { type: Boolean, required: true },
    error: { type: String },
    durationMs: { type: Number, required: true },
    attempt: { type: Number, required: true },
    conversationId: { type: String },
    workflowId: { type: String },
    runId: { type: String },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
// The log lists, newest first: the account's, an endpoint's, a connection's, a conversation's.
callLogSchema.index({ accountId: 1, _id: -1 });
callLogSchema.index({ accountId: 1, endpointId: 1, _id: -1 });
callLogSchema.index({ accountId: 1, connectionId: 1, _id: -1 });
callLogSchema.index({ accountId: 1, conversationId: 1, _id: -1 });
// The account's failed (or successful) calls, newest first: the call-log list's `success` filter.
callLogSchema.index({ accountId: 1, success: 1, _id: -1 });

export function connectionModels(db: MongoConnection): {
  ApiConnection: Model<ConnectionDoc>;
  Endpoint: Model<EndpointDoc>;
  Action: Model<ActionDoc>;
  CallLog: Model<CallLogDoc>;
} {
  return {
    ApiConnection: db.models.ApiConnection ?? db.model<ConnectionDoc>('ApiConnection', connectionSchema, 'connections'),
    Endpoint: db.models.Endpoint ?? db.model<EndpointDoc>('Endpoint', endpointSchema, 'endpoints'),
    Action: db.models.Action ?? db.model<ActionDoc>('Action', actionSchema, 'actions'),
    CallLog: db.models.CallLog ?? db.model<CallLogDoc>('CallLog', callLogSchema, 'call_logs'),
  };
}
