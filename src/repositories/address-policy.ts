// Which network addresses an image URL may reach. Everything that is not plain public unicast is refused unless the
// policy allows its class; link-local (cloud metadata at 169.254.169.254, fe80::/10) and IPv6 forms that embed an
// IPv4 address (other than IPv4-mapped, judged as that IPv4) are never allowed.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { LoupeError } from '../domain/errors.js';
import type { ImageSourcePolicy, ResolvedAddress } from './image-source-policy.js';

const PRIVATE_RANGES = new Set(['private', 'carrierGradeNat', 'uniqueLocal']);

/** IPv6 forms that reach an IPv4 address through a translator or tunnel (RFC 6052, 6145, 3056, 4380). */
const EMBEDDING_RANGES: Record<string, string> = {
  rfc6052: 'NAT64, 64:ff9b::/96',
  rfc6145: 'SIIT, ::ffff:0:0:0/96',
  '6to4': '6to4, 2002::/16',
  teredo: 'Teredo, 2001::/32',
};

/**
 * The eight 16-bit groups of an IPv6 literal. Normalised by the WHATWG URL parser first (the form every fetched
 * URL takes), because ipaddr.js reads `::a.b.c.d` as IPv4-mapped when it is IPv4-compatible (::/96).
 */
function ipv6Groups(address: string): number[] {
  const host = new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1); // a zone id (%eth0) is not part of it
  const [head = '', tail] = host.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The class of an address for the policy: an ipaddr.js range name, or `ipv4Compatible` / `nonGlobal` for what it
 * does not name. IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 it carries, which is what a connection to
 * it reaches.
 */
export function addressRange(address: string): string {
  const family = isIP(address);
  if (family === 4) return ipaddr.IPv4.parse(address).range();
  if (family !== 6) throw new Error(`not an IP address: ${address}`);
  const g = ipv6Groups(address);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return new ipaddr.IPv4([g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255]).range();
  const range = new ipaddr.IPv6(g).range();
  if (range === 'unspecified' || range === 'loopback') return range;
  if (zeros(6)) return 'ipv4Compatible';
  if (range !== 'unicast') return range;
  // Only 2000::/3 is global unicast; ipaddr.js calls everything it has no name for "unicast".
  return (g[0]! & 0xe000) === 0x2000 ? 'unicast' : 'nonGlobal';
}

export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/** Whether `address` is a loopback address (127/8, ::1, ::ffff:127.0.0.0/104). */
export function isLoopbackAddress(address: string): boolean {
  return isIP(address) !== 0 && addressRange(address) === 'loopback';
}

/**
 * null when the address may be contacted, else the reason. Allowed: public unicast (IPv6: 2000::/3 outside the
 * special-purpose blocks), and loopback / private networks when the policy says so. IPv4 embedded in IPv6 other
 * than IPv4-mapped (IPv4-compatible ::/96, NAT64, SIIT, 6to4, Teredo) is always refused: the IPv4 address such a
 * form reaches is decided by a translator or tunnel, not by this check.
 */
export function addressRefusal(address: string, policy: Pick<ImageSourcePolicy, 'allowLoopback' | 'allowPrivateNetwork'>): string | null {
  let range: string;
  try {
    range = addressRange(address);
  } catch {
    return `"${address.slice(0, 64)}" is not an IP address`;
  }
  if (range === 'unicast') return null;
  if (range === 'loopback') return policy.allowLoopback ? null : 'a loopback address';
  if (PRIVATE_RANGES.has(range)) return policy.allowPrivateNetwork ? null : `a private-network address (${range})`;
  if (range === 'linkLocal') return 'a link-local address';
  if (range === 'ipv4Compatible') return 'an IPv4-compatible IPv6 address (::/96), which embeds an IPv4 address';
  const embedding = Object.hasOwn(EMBEDDING_RANGES, range) ? EMBEDDING_RANGES[range] : undefined;
  if (embedding) return `an IPv6 address embedding an IPv4 address (${embedding})`;
  if (range === 'nonGlobal') return 'a non-public address (outside the global unicast range 2000::/3)';
  return `a non-public address (${range})`;
}

export function assertAddressAllowed(address: string, host: string, policy: Pick<ImageSourcePolicy, 'allowLoopback' | 'allowPrivateNetwork'>): void {
  const reason = addressRefusal(address, policy);
  if (reason !== null) {
    const via = host === address ? '' : `: ${host} resolves to ${address}`;
    throw new LoupeError('FORBIDDEN_ADDRESS', `Refusing to fetch from ${host}${via}, ${reason}`);
  }
}

/**
 * Resolves `host` once and checks every answer. A name with any forbidden answer is refused outright, so the choice
 * of address never depends on which answer the connection would have used. Returns the address to pin.
 */
export async function resolveCheckedAddress(host: string, policy: ImageSourcePolicy): Promise<ResolvedAddress> {
  const trusted = policy.trustedHosts.includes(host.toLowerCase());
  if (isIpLiteral(host)) {
    if (!trusted) assertAddressAllowed(host, host, policy);
    return { address: host, family: isIP(host) === 6 ? 6 : 4 };
  }
  let answers: ResolvedAddress[];
  try {
    answers = await policy.resolveHost(host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new LoupeError('IMAGE_FETCH_FAILED', `Could not resolve host ${host} (${code})`, { cause: e });
  }
  const first = answers[0];
  if (first === undefined) throw new LoupeError('IMAGE_FETCH_FAILED', `Could not resolve host ${host} (no addresses)`);
  if (!trusted) for (const a of answers) assertAddressAllowed(a.address, host, policy);
  return first;
}
