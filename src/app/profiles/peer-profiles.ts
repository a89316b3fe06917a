import type { ProfileConfig } from '../../config/schema.js';

/** A peer profile: how Tandem talks media to one kind of peer. Same shape as `profiles[]` in the config. */
export type PeerProfile = Readonly<ProfileConfig>;

/** Media profiles: WebRTC (RFC 8829 ICE + DTLS-SRTP, RTP/SAVPF), plain RTP/AVP, SDES RTP/SAVP (RFC 4568), or AVP with optional crypto. */
export type MediaProfile = ProfileConfig['media'];

/** The built-in profiles; a configured profile with the same name replaces one. */
export const BUILTIN_PROFILES: Readonly<Record<'browser' | 'deskphone' | 'trunk', PeerProfile>> = Object.freeze({
  browser: Object.freeze({
    name: 'browser', media: 'webrtc', codecs: { allow: ['opus', 'PCMU', 'PCMA'], prefer: ['opus'] },
    transcoding: 'prefer-passthrough', dtmf: 'rfc4733', ptime: 20, ice: 'full',
  }),
  deskphone: Object.freeze({
    name: 'deskphone', media: 'avp', codecs: { allow: ['PCMU', 'PCMA'], prefer: [] },
    transcoding: 'prefer-passthrough', dtmf: 'rfc4733', ptime: 20, ice: 'full',
  }),
  trunk: Object.freeze({
    name: 'trunk', media: 'avp', codecs: { allow: ['PCMU', 'PCMA'], prefer: [] },
    transcoding: 'prefer-passthrough', dtmf: 'rfc4733', ptime: 20, ice: 'full',
  }),
} satisfies Record<string, PeerProfile>);

/** Profiles by name: the built-ins overlaid with the configured ones. */
export class PeerProfiles {
  private readonly byName = new Map<string, PeerProfile>();

  constructor(configured: readonly ProfileConfig[] = []) {
    for (const p of Object.values(BUILTIN_PROFILES)) this.byName.set(p.name, p);
    for (const p of configured) this.byName.set(p.name, p);
  }

  get(name: string): PeerProfile | undefined {
    return this.byName.get(name);
  }

  /** The profile named, or the default for the transport: `browser` over ws/wss, else `deskphone`. */
  forUser(profileName: string | undefined, overWebSocket: boolean): PeerProfile {
    if (profileName) {
      const p = this.byName.get(profileName);
      if (p) return p;
    }
    return this.byName.get(overWebSocket ? 'browser' : 'deskphone')!;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
