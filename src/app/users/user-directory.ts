import { digestHa1, type DigestAlgorithm } from '../auth/digest-server.js';
import type { UserConfig } from '../../config/schema.js';

/** A local user as the app sees it; the password itself is not kept, only HA1 values. */
export interface LocalUser {
  name: string;
  /** Configured profile name, or '' for "by transport". */
  profile: string;
  /** Static contact (desk phone that does not register), or undefined. */
  contact?: string;
}

/**
 * Local SIP users (config `users[]`): digest HA1 lookup for {@link DigestServer.verify}
 * (RFC 3261 §22.4) and static contacts. HA1 is precomputed at construction, so passwords
 * do not stay in memory in this object.
 */
export class UserDirectory {
  private readonly users = new Map<string, LocalUser>();
  private readonly ha1 = new Map<string, Partial<Record<DigestAlgorithm, string>>>();

  constructor(users: readonly UserConfig[], private readonly realm: string, algorithm: DigestAlgorithm) {
    for (const u of users) {
      this.users.set(u.name, { name: u.name, profile: u.profile, ...(u.contact ? { contact: u.contact } : {}) });
      if (u.password !== '') {
        this.ha1.set(u.name, { MD5: digestHa1('MD5', u.name, realm, u.password), 'SHA-256': digestHa1('SHA-256', u.name, realm, u.password) });
      } else {
        this.ha1.set(u.name, { [algorithm]: u.ha1.toLowerCase() });
      }
    }
  }

  /** HA1 for `username` under `alg`, or undefined (unknown user, or only an HA1 of another algorithm). */
  lookupHa1 = (username: string, alg: DigestAlgorithm): string | undefined => this.ha1.get(username)?.[alg];

  get(name: string): LocalUser | undefined {
    return this.users.get(name);
  }

  has(name: string): boolean {
    return this.users.has(name);
  }

  /** The address of record of a local user: `sip:name@realm`. */
  aor(name: string): string {
    return `sip:${name}@${this.realm}`;
  }
}
