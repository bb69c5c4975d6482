import { isOwnOrigin } from '../../server/http/sameOrigin';

describe('isOwnOrigin', () => {
  const PUBLIC = 'https://ghiseu.primariaarad.ro';
  test.each([
    [undefined, 'x', 'http', true, 'no Origin: not a cross-site browser context'],
    ['https://ghiseu.primariaarad.ro', 'internal:3000', 'http', true, 'PUBLIC_URL behind a proxy'],
    ['http://127.0.0.1:3000', '127.0.0.1:3000', 'http', true, 'the same host reached directly'],
    ['https://evil.example', 'ghiseu.primariaarad.ro', 'https', false, 'another site'],
    ['http://ghiseu.primariaarad.ro', 'ghiseu.primariaarad.ro', 'https', false, 'scheme differs'],
    ['https://ghiseu.primariaarad.ro.evil.example', 'ghiseu.primariaarad.ro', 'https', false, 'suffix trick'],
    ['null', 'ghiseu.primariaarad.ro', 'https', false, 'opaque origin (sandboxed frame)'],
    ['http://localhost:3000', undefined, 'http', false, 'no Host header'],
  ] as [string | undefined, string | undefined, string, boolean, string][])('%s with Host %s over %s → %s (%s)', (origin, host, proto, expected) => {
    expect(isOwnOrigin(origin, host, proto, PUBLIC)).toBe(expected);
  });
});
