// Who may do what: API keys carry one of two roles. `admin` manages indexes and documents (and reads);
// `read` searches and reads. Mutations need admin; queries and subscriptions need read.
import { invalidArgument } from './errors.js';

export type Role = 'admin' | 'read';

export interface Principal {
  /** The key's id, or null for an anonymous caller on a loopback server with access control off. */
  keyId: number | null;
  /** The key's public prefix (safe to log), or 'anonymous'. */
  name: string;
  role: Role;
}

export const ANONYMOUS: Principal = { keyId: null, name: 'anonymous', role: 'admin' };

export function checkRole(role: unknown): Role {
  if (role !== 'admin' && role !== 'read') throw invalidArgument("'admin' or 'read'", 'role', role);
  return role;
}

/** Whether `role` may do what `needed` is required for. */
export function allows(role: Role, needed: Role): boolean {
  return role === 'admin' || needed === 'read';
}

/** Keys look like `lp_` + 43 base64url characters (32 random bytes); the first 11 characters name the key. */
export const KEY_PATTERN = /^lp_[A-Za-z0-9_-]{43}$/;
export const KEY_PREFIX_LENGTH = 11;
