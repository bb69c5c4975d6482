import { groupByThread } from '../../server/email/intake';

describe('a batch of mail split into threads that may be ingested side by side', () => {
  test('messages sharing a Message-ID directly or through others form one chain, in the given order', () => {
    const keys = [
      ['<a@x>'], // 0: original A
      ['<b@x>'], // 1: original B
      ['<c@x>', '<a@x>'], // 2: reply to A
      ['<d@x>', '<c@x>'], // 3: reply to the reply (does not name A)
      ['<e@x>', '<b@x>', '<zz@x>'], // 4: reply to B
      [], // 5: unparseable
      ['<f@x>'], // 6: alone
    ];
    const chains = groupByThread([0, 1, 2, 3, 4, 5, 6], keys);
    expect(chains).toEqual([[0, 2, 3], [1, 4], [5], [6]]);
  });

  test('the order given (originals first) is kept inside each chain whatever the index order', () => {
    const keys = [['<r@x>', '<o@x>'], ['<o@x>'], ['<s@x>', '<r@x>']];
    expect(groupByThread([1, 0, 2], keys)).toEqual([[1, 0, 2]]);
  });

  test('two threads joined only by a later message become one chain', () => {
    const keys = [['<a@x>'], ['<b@x>'], ['<c@x>', '<a@x>', '<b@x>']];
    expect(groupByThread([0, 1, 2], keys)).toEqual([[0, 1, 2]]);
  });
});
