import { describe, expect, it } from 'vitest';
import { addressRefusal } from '../../src/repositories/address-policy.js';

const strict = { allowLoopback: false, allowPrivateNetwork: false };
const lenient = { allowLoopback: true, allowPrivateNetwork: true };

describe('addressRefusal', () => {
  it('allows public unicast', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(addressRefusal(a, strict), a).toBeNull();
  });

  it('refuses loopback and private ranges unless allowed', () => {
    for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
      expect(addressRefusal(a, strict), a).toContain('loopback');
      expect(addressRefusal(a, lenient), a).toBeNull();
    }
    for (const a of ['10.0.0.1', '172.16.5.4', '192.168.0.1', '100.64.1.1', 'fd12::1', '::ffff:10.0.0.1']) {
      expect(addressRefusal(a, strict), a).toContain('private-network');
      expect(addressRefusal(a, lenient), a).toBeNull();
    }
  });

  it('always refuses link-local, unspecified, multicast, broadcast and reserved ranges', () => {
    for (const a of [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      'fe80::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      'ff02::1',
      '255.255.255.255',
      '240.0.0.1',
      '198.18.0.1',
      '64:ff9b::a00:1',
      'not-an-ip',
    ]) {
      expect(addressRefusal(a, lenient), a).not.toBeNull();
    }
  });
});
