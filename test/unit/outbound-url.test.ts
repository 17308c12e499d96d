import { describe, expect, it } from 'vitest';
import { postOutbound } from '../../functions/adapters/outbound-http.js';
import { checkOutboundUrl, isAllowedAddress } from '../../functions/core/outbound-url.js';

describe('outbound URL guard (SSRF)', () => {
  it('accepts public https URLs', () => {
    expect(checkOutboundUrl('https://partner.example.com/in', false)).toBeUndefined();
    expect(checkOutboundUrl('https://93.184.216.34/in', false)).toBeUndefined();
  });

  it.each([
    ['http://partner.example.com/in', /https/],
    ['ftp://partner.example.com/in', /https/],
    ['https://user:pw@partner.example.com/in', /credentials/],
    ['https://localhost/in', /this host/],
    ['https://127.0.0.1/in', /public/],
    ['https://0x7f000001/in', /public/],
    ['https://2130706433/in', /public/],
    ['https://0177.0.0.1/in', /public/],
    ['https://[::1]/in', /public/],
    ['https://[::ffff:127.0.0.1]/in', /public/],
    ['https://[::ffff:a9fe:a9fe]/in', /public/],
    ['https://169.254.169.254/latest/meta-data', /public/],
    ['https://10.1.2.3/in', /public/],
    ['https://192.168.0.1/in', /public/],
    ['https://100.64.0.1/in', /public/],
    ['https://0.0.0.0/in', /public/],
    ['https://[::169.254.169.254]/latest/meta-data', /public/],
    ['https://[::10.0.0.1]/in', /public/],
    ['https://[::a9fe:a9fe]/in', /public/],
    ['https://[::8.8.8.8]/in', /public/],
    ['https://partner.example.com:0/in', /port 0/],
    ['https://93.184.216.34:0/in', /port 0/],
    ['not a url', /not a URL/],
  ])('refuses %s', (url, problem) => {
    expect(checkOutboundUrl(url, false)).toMatch(problem);
  });

  it('allows loopback, over http too, only where the local hub says so', () => {
    expect(checkOutboundUrl('http://127.0.0.1:4000/in', true)).toBeUndefined();
    expect(checkOutboundUrl('http://localhost:4000/in', true)).toBeUndefined();
    expect(checkOutboundUrl('http://10.0.0.1/in', true)).toMatch(/https/);
    expect(isAllowedAddress('127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('::ffff:10.0.0.1', true)).toBe(false);
    // The connect-time check shares the rule: an IPv4-compatible form is refused, loopback aside.
    expect(isAllowedAddress('::169.254.169.254', false)).toBe(false);
    expect(isAllowedAddress('::1', true)).toBe(true);
  });

  it('checks the resolved address again at connect time and never reaches a refused one', async () => {
    for (const url of ['http://localhost:9/in', 'http://127.0.0.1:9/in', 'http://[::ffff:127.0.0.1]:9/in']) {
      const r = await postOutbound({ url, headers: {}, body: Buffer.from('x'), timeoutMs: 2000 }, false);
      // Refused by type, so the delivery fails at once instead of walking its retry schedule.
      expect(r).toMatchObject({ kind: 'failed', reason: 'blocked' });
      expect(r.kind === 'failed' && r.message).toMatch(/non-public|not a public/);
    }
  });
});
