// IPv4 addresses hidden in IPv6 forms (issue 12.11): the address policy refuses IPv4-compatible (::/96), NAT64,
// SIIT, 6to4 and Teredo addresses and everything outside global unicast 2000::/3, judges IPv4-mapped addresses as
// the IPv4 they carry, and an image URL naming such an address is refused before any connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRefusal } from '../../src/repositories/address-policy.js';
import { loadImageBytes } from '../../src/repositories/image-source.js';
import { isLoopbackHost } from '../../src/services/access-service.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

const strict = { allowLoopback: false, allowPrivateNetwork: false };
const lenient = { allowLoopback: true, allowPrivateNetwork: true };

describe('IPv6 forms that embed IPv4', () => {
  it('refuses IPv4-compatible addresses (::/96) whatever the policy, however written', () => {
    for (const a of ['::169.254.169.254', '::a9fe:a9fe', '::127.0.0.1', '::7f00:1', '0:0:0:0:0:0:10.0.0.1', '::8.8.8.8', '::0:192.168.1.1']) {
      expect(addressRefusal(a, lenient), a).toMatch(/IPv4-compatible/);
      expect(addressRefusal(a, strict), a).not.toBeNull();
    }
  });

  it('refuses NAT64, SIIT, 6to4 and Teredo forms, public or private IPv4 inside', () => {
    const cases: [string, RegExp][] = [
      ['64:ff9b::a9fe:a9fe', /NAT64/],
      ['64:ff9b::8.8.8.8', /NAT64/],
      ['64:ff9b:1::a00:1', /NAT64|non-public/],
      ['::ffff:0:a9fe:a9fe', /SIIT/],
      ['::ffff:0:127.0.0.1', /SIIT/],
      ['2002:a9fe:a9fe::1', /6to4/],
      ['2002:c0a8:101::1', /6to4/],
      ['2002:808:808::1', /6to4/],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
      ['2001::a9fe:a9fe', /Teredo/],
    ];
    for (const [a, why] of cases) expect(addressRefusal(a, lenient), a).toMatch(why);
  });

  it('judges IPv4-mapped addresses (::ffff:0:0/96) as the IPv4 they carry', () => {
    expect(addressRefusal('::ffff:169.254.169.254', lenient)).toMatch(/link-local/);
    expect(addressRefusal('::ffff:a9fe:a9fe', lenient)).toMatch(/link-local/);
    expect(addressRefusal('::ffff:7f00:1', strict)).toMatch(/loopback/);
    expect(addressRefusal('::ffff:7f00:1', lenient)).toBeNull();
    expect(addressRefusal('::ffff:10.0.0.1', strict)).toMatch(/private-network/);
    expect(addressRefusal('::ffff:8.8.8.8', strict)).toBeNull();
  });

  it('refuses everything outside 2000::/3 and the special blocks inside it, keeping public unicast', () => {
    for (const a of ['fec0::1', '100::1', '5f00::1', '3fff::1', '2001:db8::1', '2001:2::1', '4000::1', 'e000::1', 'fe80::1%eth0'])
      expect(addressRefusal(a, lenient), a).not.toBeNull();
    for (const a of ['2606:4700::1111', '2a00:1450:4001:82a::200e', '2001:4860:4860::8888']) expect(addressRefusal(a, strict), a).toBeNull();
  });

  it('does not count an IPv4-compatible address as a loopback Host', () => {
    expect(isLoopbackHost('[::7f00:1]')).toBe(false);
    expect(isLoopbackHost('::127.0.0.1')).toBe(false);
    expect(isLoopbackHost('[::ffff:127.0.0.1]')).toBe(true);
  });
});

describe('image URLs naming such addresses', () => {
  let t: TestLoupe;
  beforeAll(async () => {
    t = await createTestLoupe({ allowLoopback: false });
    await t.gql('mutation { createIndex(input: { name: "addr", regionMethodSpec: "none" }) { __typename } }');
  });
  afterAll(async () => t?.close());

  it('refuses them with FORBIDDEN_ADDRESS before connecting, in indexing and in image queries', async () => {
    const urls = [
      'http://[::169.254.169.254]/latest/meta-data/',
      'http://[::127.0.0.1]:8700/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:a9fe:a9fe::]/',
      'http://[::ffff:169.254.169.254]/',
    ];
    const r = await t.gql(
      'mutation($d: [DocumentInput!]!) { addDocuments(index: "addr", documents: $d) { ... on AddDocumentsPayload { results { ok code message } } } }',
      {
        d: urls.map((image, i) => ({ id: `u${i}`, fields: { image } })),
      },
    );
    for (const [i, res] of r.addDocuments.results.entries()) expect(res, urls[i]).toMatchObject({ ok: false, code: 'FORBIDDEN_ADDRESS' });
    await expect(loadImageBytes({ kind: 'url', url: 'http://[::a9fe:a9fe]/' }, { allowLoopback: true, allowPrivateNetwork: true })).rejects.toMatchObject({
      code: 'FORBIDDEN_ADDRESS',
    });
    const s = await t.gql('{ search(index: "addr", input: { image: { url: "http://[::169.254.169.254]/x.png" } }) { ... on LoupeError { code } } }');
    expect(s.search.code).toBe('FORBIDDEN_ADDRESS');
  });
});
