import mongoose from 'mongoose';
import { changeStreamsUnsupported } from './event-feed';
import { isDatabaseUnavailable } from './db';

const { mongo } = mongoose;
const serverError = (fields: Record<string, unknown>) => new mongo.MongoServerError({ message: String(fields.errmsg ?? 'failed'), ...fields });

describe('changeStreamsUnsupported', () => {
  it('recognises what servers without change streams answer', () => {
    // FerretDB 1.24, as change-streams.test.ts sees it.
    expect(changeStreamsUnsupported(serverError({ code: 238, codeName: 'NotImplemented', errmsg: '`aggregate` stage "$changeStream" is not implemented yet' }))).toBe(true);
    // A standalone mongod.
    expect(changeStreamsUnsupported(serverError({ code: 40573, errmsg: 'The $changeStream stage is only supported on replica sets' }))).toBe(true);
    // An old server or another emulator.
    expect(changeStreamsUnsupported(serverError({ code: 40324, errmsg: "Unrecognized pipeline stage name: '$changeStream'" }))).toBe(true);
    expect(changeStreamsUnsupported(new Error('change streams are not supported by this server'))).toBe(true);
  });

  it('does not take an outage or a refusal for a missing feature', () => {
    expect(changeStreamsUnsupported(new mongo.MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'))).toBe(false);
    expect(changeStreamsUnsupported(serverError({ code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on parley to execute command { aggregate: "events" }' }))).toBe(false);
    expect(changeStreamsUnsupported(serverError({ code: 286, codeName: 'ChangeStreamHistoryLost', errmsg: 'Resume of change stream was not possible' }))).toBe(false);
  });
});

describe('isDatabaseUnavailable', () => {
  it('is true for a network failure, no server to select, and a primary that stepped down', () => {
    expect(isDatabaseUnavailable(new mongo.MongoNetworkError('connection 13 to 127.0.0.1:25677 closed'))).toBe(true);
    expect(isDatabaseUnavailable(new mongo.MongoNetworkTimeoutError('timed out'))).toBe(true);
    expect(isDatabaseUnavailable(serverError({ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' }))).toBe(true);
    expect(isDatabaseUnavailable(serverError({ code: 11602, codeName: 'InterruptedDueToReplStateChange', errmsg: 'operation was interrupted' }))).toBe(true);
    expect(isDatabaseUnavailable(serverError({ code: 189, codeName: 'PrimarySteppedDown', errmsg: 'stepped down' }))).toBe(true);
    const selection = Object.assign(new Error('Server selection timed out after 10000 ms'), { name: 'MongooseServerSelectionError' });
    expect(isDatabaseUnavailable(selection)).toBe(true);
    // Wrapped by another layer.
    expect(isDatabaseUnavailable(new Error('could not read the bot', { cause: new mongo.MongoNetworkError('reset') }))).toBe(true);
  });

  it('is false for a bad query, a duplicate key, and errors that are not the database', () => {
    expect(isDatabaseUnavailable(serverError({ code: 11000, errmsg: 'E11000 duplicate key error' }))).toBe(false);
    expect(isDatabaseUnavailable(serverError({ code: 2, codeName: 'BadValue', errmsg: 'unknown operator: $foo' }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable({ code: 10107 })).toBe(false);
  });
});
