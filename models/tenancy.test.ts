import mongoose from 'mongoose';
import { acrossAccounts, findOwned, guardedCollection, scopedByAccount, tenancyChecked, tenancyPlugin, TenancyViolation } from './tenancy';

// A connection that never connects: the guard runs in query middleware, before anything is sent, so a
// refused query fails with TenancyViolation and an allowed one reaches the (absent) server and fails there.
const db = mongoose.createConnection('mongodb://127.0.0.1:1/none', { bufferCommands: false, serverSelectionTimeoutMS: 50 });
db.on('error', () => undefined);
const owned = new mongoose.Schema({ _id: String, accountId: String, name: String });
owned.plugin(tenancyPlugin);
const Owned = db.model('Owned', owned);
const free = new mongoose.Schema({ _id: String, email: String });
free.plugin(tenancyPlugin);
const Free = db.model('Free', free);

const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('the tenancy guard', () => {
  const saved = process.env.PARLEY_TENANCY_GUARD;
  beforeAll(() => (process.env.PARLEY_TENANCY_GUARD = 'throw'));
  afterAll(() => {
    if (saved === undefined) delete process.env.PARLEY_TENANCY_GUARD;
    else process.env.PARLEY_TENANCY_GUARD = saved;
  });
  afterAll(() => db.close());

  it.each([
    ['find by another field', () => Owned.find({ name: 'x' }).exec()],
    ['findOne by _id alone', () => Owned.findOne({ _id: 'x' }).exec()],
    ['countDocuments of everything', () => Owned.countDocuments({}).exec()],
    ['updateOne by _id', () => Owned.updateOne({ _id: 'x' }, { $set: { name: 'y' } }).exec()],
    ['deleteMany by name', () => Owned.deleteMany({ name: 'x' }).exec()],
    ['findOneAndUpdate by _id', () => Owned.findOneAndUpdate({ _id: 'x' }, { $set: { name: 'y' } }).exec()],
    ['an accountId buried in $or', () => Owned.find({ $or: [{ accountId: 'a' }, { name: 'x' }] }).exec()],
    ['an accountId that is an operator other than $eq/$in', () => Owned.find({ accountId: { $ne: 'a' } }).exec()],
    ['an empty $in', () => Owned.find({ accountId: { $in: [] } }).exec()],
  ])('refuses %s', async (_name, run) => {
    const error = await failure(tenancyChecked(run as () => Promise<unknown>));
    expect(error).toBeInstanceOf(TenancyViolation);
    expect((error as Error).message).toMatch(/^Owned\.\w+\(/);
  });

  it.each([
    ['find by accountId', () => Owned.find({ accountId: 'a', name: 'x' }).exec()],
    ['findOne by accountId and _id', () => Owned.findOne({ _id: 'x', accountId: 'a' }).exec()],
    ['$in of accounts', () => Owned.find({ accountId: { $in: ['a', 'b'] } }).exec()],
    ['a query across accounts that says why', () => acrossAccounts('test: an operator job', () => Owned.find({ name: 'x' }).exec())],
    ['a collection without accountId', () => Free.find({ email: 'x' }).exec()],
    ['findOwned', () => findOwned(Owned as never, 'x', 'a')],
  ])('lets %s through to the server', async (_name, run) => {
    const error = await failure(tenancyChecked(run as () => Promise<unknown>));
    expect(error).not.toBeInstanceOf(TenancyViolation);
  });

  it("does not check queries outside the product's code paths (a test's own look into the database)", async () => {
    expect(await failure(Owned.find({ name: 'x' }).exec())).not.toBeInstanceOf(TenancyViolation);
  });

  it('checks the driver collections that hot paths use', async () => {
    const raw = guardedCollection(Owned.collection, 'Owned');
    expect(() => tenancyChecked(() => raw.findOne({ _id: 'x' } as never))).toThrow(TenancyViolation);
    // Past the guard, the driver itself refuses: this connection never connected.
    expect(() => tenancyChecked(() => raw.findOne({ accountId: 'a' } as never))).toThrow(/before initial connection/);
  });

  it('needs a reason to cross accounts', () => expect(() => acrossAccounts(' ', async () => 1)).toThrow(TenancyViolation));

  it('is off unless asked for', async () => {
    process.env.PARLEY_TENANCY_GUARD = 'off';
    try {
      expect(await failure(tenancyChecked(() => Owned.find({ name: 'x' }).exec()))).not.toBeInstanceOf(TenancyViolation);
    } finally {
      process.env.PARLEY_TENANCY_GUARD = 'throw';
    }
  });
});

describe('scopedByAccount', () => {
  it.each([
    [{ accountId: 'a' }, true],
    [{ accountId: { $eq: 'a' } }, true],
    [{ accountId: { $in: ['a'] } }, true],
    [{ accountId: '' }, false],
    [{ accountId: { $in: ['a', 1] } }, false],
    [{ _id: 'x' }, false],
  ])('%j -> %s', (filter, expected) => expect(scopedByAccount(filter)).toBe(expected));
});
