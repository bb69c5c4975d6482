import { ApiKey } from '../../db/models';
import { API_KEY_CACHE_MS, createApiKey, findApiKey, revokeApiKey } from '../../server/auth/apiKeys';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

describe.each(DIALECTS)('finding an integration key, on %s', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('an unknown key is not found', async () => {
    expect(await findApiKey(`gk_${'x'.repeat(43)}`)).toBeNull();
  });

  test('malformed keys are refused without a lookup: a missing prefix, or too long', async () => {
    const { key } = await createApiKey('malformed');
    expect(await findApiKey(key.slice(3))).toBeNull();
    expect(await findApiKey(key + 'x'.repeat(100))).toBeNull();
    expect(await findApiKey('')).toBeNull();
  });

  test('a revoked key is not found', async () => {
    const { key, apiKey } = await createApiKey('revoked');
    await apiKey.update({ revokedAt: new Date() });
    expect(await findApiKey(key)).toBeNull();
  });

  test('a valid key answers its row, typed as the model loads it, and records its use at most once a minute', async () => {
    const { key, apiKey } = await createApiKey('registratura');
    const found = await findApiKey(key);
    expect(found).toBeInstanceOf(ApiKey);
    expect(typeof found!.id).toBe('number');
    expect(found!.id).toBe(apiKey.id);
    expect(found!.get({ plain: true })).toMatchObject({ name: 'registratura', prefix: key.slice(0, 10), keyHash: apiKey.keyHash, revokedAt: null });
    expect(found!.createdAt).toBeInstanceOf(Date);
    expect(found!.createdAt.getTime()).toBe(apiKey.createdAt.getTime());
    expect(found!.updatedAt).toBeInstanceOf(Date);
    // First use: lastUsedAt is set, on the answer and in the database.
    expect(found!.lastUsedAt).toBeInstanceOf(Date);
    const stored = await ApiKey.findByPk(apiKey.id, { rejectOnEmpty: true });
    expect(stored.lastUsedAt?.getTime()).toBe(found!.lastUsedAt!.getTime());
    // Used again within the minute: the stored moment is answered as a Date and left as it is.
    const again = await findApiKey(key);
    expect(again!.lastUsedAt).toBeInstanceOf(Date);
    expect(again!.lastUsedAt!.getTime()).toBe(stored.lastUsedAt!.getTime());
    expect((await ApiKey.findByPk(apiKey.id, { rejectOnEmpty: true })).lastUsedAt?.getTime()).toBe(stored.lastUsedAt!.getTime());
  });

  test('a key read a moment ago is trusted without a read; after API_KEY_CACHE_MS it is read again', async () => {
    const { key, apiKey } = await createApiKey('cached');
    expect((await findApiKey(key))!.id).toBe(apiKey.id);
    // Revoked behind this process's back (another server, the CLI): still trusted until the time runs out.
    await ApiKey.update({ revokedAt: new Date() }, { where: { id: apiKey.id } });
    expect((await findApiKey(key))!.id).toBe(apiKey.id);
    const later = Date.now() + API_KEY_CACHE_MS + 1;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expect(await findApiKey(key)).toBeNull();
    } finally {
      clock.mockRestore();
    }
    // Refused keys are not remembered as refused: un-revoked, it works again at once.
    await ApiKey.update({ revokedAt: null }, { where: { id: apiKey.id } });
    expect((await findApiKey(key))!.id).toBe(apiKey.id);
  });

  test('revoking here refuses the key at once, however recently it was read; an unknown number answers null', async () => {
    const { key, apiKey } = await createApiKey('revoked here');
    expect(await findApiKey(key)).not.toBeNull();
    const revoked = await revokeApiKey(apiKey.id);
    expect(revoked!.revokedAt).toBeInstanceOf(Date);
    expect(await findApiKey(key)).toBeNull();
    expect((await ApiKey.findByPk(apiKey.id))!.revokedAt).toBeInstanceOf(Date);
    expect(await revokeApiKey(apiKey.id + 10_000)).toBeNull();
  });
});
