// Limits and network rules for loading image bytes (URL, local file, upload). Safe by default: no local files,
// no private/loopback/link-local addresses, bounded time and bytes.
import { lookup } from 'node:dns/promises';
import { invalidArgument } from '../domain/errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. Injectable so tests can map names without touching DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface ImageSourcePolicy {
  /** Local paths are accepted only inside this folder; relative paths are taken relative to it. null: refused. */
  allowedRoot: string | null;
  /** Time allowed for the TCP connection to each hop. */
  connectTimeoutMs: number;
  /** Time allowed for the whole download, all redirect hops and the body included. */
  totalTimeoutMs: number;
  /** Byte cap for any source (URL body, file, upload). */
  maxBytes: number;
  maxRedirects: number;
  /** RFC 1918, carrier-grade NAT (100.64/10) and IPv6 unique-local addresses. */
  allowPrivateNetwork: boolean;
  /** 127/8 and ::1. */
  allowLoopback: boolean;
  /**
   * Host names (exact, case-insensitive) the operator trusts whatever they resolve to, e.g. an internal image server.
   * Only the name in the URL counts: a redirect from a trusted host to another name is checked as usual.
   */
  trustedHosts: readonly string[];
  resolveHost: HostResolver;
}

export const systemResolver: HostResolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export const DEFAULT_IMAGE_SOURCE_POLICY: Readonly<ImageSourcePolicy> = Object.freeze({
  allowedRoot: null,
  connectTimeoutMs: 5_000,
  totalTimeoutMs: 20_000,
  maxBytes: 25 * 1024 * 1024,
  maxRedirects: 5,
  allowPrivateNetwork: false,
  allowLoopback: false,
  trustedHosts: Object.freeze([]) as readonly string[],
  resolveHost: systemResolver,
});

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidArgument('a positive integer', name, value);
  }
  return value;
}

function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument('a boolean', name, value);
  return value;
}

/** Fills in defaults and checks every field once, at the edge. */
export function imageSourcePolicy(overrides: Partial<ImageSourcePolicy> = {}): ImageSourcePolicy {
  if (overrides === null || typeof overrides !== 'object') throw invalidArgument('an object', 'policy', overrides);
  const p = { ...DEFAULT_IMAGE_SOURCE_POLICY, ...overrides };
  if (p.allowedRoot !== null && (typeof p.allowedRoot !== 'string' || p.allowedRoot === '')) {
    throw invalidArgument('a folder path or null', 'policy.allowedRoot', p.allowedRoot);
  }
  const maxRedirects = p.maxRedirects;
  if (typeof maxRedirects !== 'number' || !Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw invalidArgument('a non-negative integer', 'policy.maxRedirects', maxRedirects);
  }
  if (!Array.isArray(p.trustedHosts) || !p.trustedHosts.every((h) => typeof h === 'string')) {
    throw invalidArgument('an array of host names', 'policy.trustedHosts', p.trustedHosts);
  }
  if (typeof p.resolveHost !== 'function') throw invalidArgument('a function', 'policy.resolveHost', p.resolveHost);
  return {
    allowedRoot: p.allowedRoot,
    connectTimeoutMs: positiveInteger(p.connectTimeoutMs, 'policy.connectTimeoutMs'),
    totalTimeoutMs: positiveInteger(p.totalTimeoutMs, 'policy.totalTimeoutMs'),
    maxBytes: positiveInteger(p.maxBytes, 'policy.maxBytes'),
    maxRedirects,
    allowPrivateNetwork: boolean(p.allowPrivateNetwork, 'policy.allowPrivateNetwork'),
    allowLoopback: boolean(p.allowLoopback, 'policy.allowLoopback'),
    trustedHosts: p.trustedHosts.map((h) => h.toLowerCase()),
    resolveHost: p.resolveHost,
  };
}
