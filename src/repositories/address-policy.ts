// Which network addresses an image URL may reach. Everything that is not plain public unicast is refused unless the
// policy allows its class; link-local (cloud metadata at 169.254.169.254, fe80::/10) is never allowed.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { LoupeError } from '../domain/errors.js';
import type { ImageSourcePolicy, ResolvedAddress } from './image-source-policy.js';

const PRIVATE_RANGES = new Set(['private', 'carrierGradeNat', 'uniqueLocal']);

/** The ipaddr.js range name of an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 it carries. */
export function addressRange(address: string): string {
  return ipaddr.process(address).range();
}

export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/** null when the address may be contacted, else the reason. */
export function addressRefusal(
  address: string,
  policy: Pick<ImageSourcePolicy, 'allowLoopback' | 'allowPrivateNetwork'>,
): string | null {
  let range: string;
  try {
    range = addressRange(address);
  } catch {
    return `"${address}" is not an IP address`;
  }
  if (range === 'unicast') return null;
  if (range === 'loopback') return policy.allowLoopback ? null : 'a loopback address';
  if (PRIVATE_RANGES.has(range)) return policy.allowPrivateNetwork ? null : `a private-network address (${range})`;
  if (range === 'linkLocal') return 'a link-local address';
  return `a non-public address (${range})`;
}

export function assertAddressAllowed(
  address: string,
  host: string,
  policy: Pick<ImageSourcePolicy, 'allowLoopback' | 'allowPrivateNetwork'>,
): void {
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
