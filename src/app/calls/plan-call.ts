import type { GroupConfig } from '../../config/schema.js';
import type { Caller } from '../auth/caller-auth.js';
import type { PeerProfile, PeerProfiles } from '../profiles/peer-profiles.js';
import type { Binding } from '../registrar/registrar-store.js';
import type { RouteDecision } from '../routing/dial-plan.js';
import type { Trunk } from '../trunks/trunk-directory.js';
import { splitHostPort } from '../trunks/trunk-directory.js';
import type { LocalUser } from '../users/user-directory.js';

/** Where a B leg's request goes first (outbound proxy / flow), when not to the Request-URI itself. */
export interface NextHop {
  transport: string;
  host: string;
  port: number;
}

/** Codec decision between the A leg and one B leg. */
export type MediaDecision =
  /** Both legs share these codecs (A's preference order): relay without transcoding. */
  | { transcode: false; codecs: string[] }
  /** Opus <-> G.711 transcoding: `a` is the codec on the A leg, `b` on the B leg. */
  | { transcode: true; a: string; b: string };

/** One leg of the call plan. */
export interface LegPlan {
  /** `webrtc`: ICE + DTLS-SRTP towards a browser; `sip`: RTP/AVP or SDES towards a phone/trunk. */
  kind: 'webrtc' | 'sip';
  profile: PeerProfile;
}

/** A B leg (callee side): where to send the INVITE, and its media decision against A. */
export interface CalleeLegPlan extends LegPlan {
  /** Request-URI of the INVITE. */
  uri: string;
  nextHop?: NextHop;
  /** The connection to reuse (binding made over ws/tcp/tls). */
  flowId?: string;
  media: MediaDecision;
  /** Trunk legs: the `addresses[]` entry this leg goes to (failover order). */
  trunkAddress?: string;
  /** Trunk legs: digest credentials to answer a 401/407 on the INVITE (RFC 3261 §22.2), from `register`. */
  auth?: { username: string; password: string };
  /** Group legs: the member (user name) this leg rings; sequential groups hunt member by member. */
  member?: string;
}

/** How a ring group rings (`groups[]`): set on plans whose target is `group:NAME`. */
export interface RingPlan {
  group: string;
  /** Sequential groups: how long one member rings before the next, ms. */
  memberTimeoutMs: number;
  /** Longest the whole group rings, ms; 0 = no limit. */
  totalTimeoutMs: number;
}

/** Caller identity to present on the B legs (RFC 3325 P-Asserted-Identity when asked for). */
export interface CallerIdPlan {
  /** User part for From (a number towards trunks). */
  user: string;
  /** P-Asserted-Identity value to add, when the target trunk asks for it. */
  pAssertedIdentity?: string;
}

/** The call plan: which legs, which media profiles, how to fork. */
export type CallPlan =
  | {
    ok: true;
    rule: string;
    a: LegPlan;
    b: CalleeLegPlan[];
    /**
     * `parallel`: ring every target at once (RFC 3261 §16.6 forking: a user's contacts, a parallel
     * group); `sequential`: trunk failover in order, or a sequential group member by member.
     */
    fork: 'parallel' | 'sequential';
    /** Ring group settings, when the target is a group. */
    ring?: RingPlan;
    callerId: CallerIdPlan;
  }
  | { ok: false; status: 403 | 404 | 480 | 484 | 488 | 503; reason: string };

/** Inputs of {@link planCall}; lookups are plain functions so the function stays pure. */
export interface PlanCallInput {
  caller: Caller;
  /** User parts the caller presented: From, and P-Asserted-Identity when present. */
  presented: { fromUser?: string; assertedUser?: string };
  route: RouteDecision;
  /** Current bindings of the target user (empty unless the route is to a user). */
  bindings: readonly Binding[];
  /** Current bindings of a group member (group routes); absent = none. */
  memberBindings?: (user: string) => readonly Binding[];
  user: (name: string) => LocalUser | undefined;
  /** Ring groups by name (`groups[]`); absent = no groups. */
  group?: (name: string) => GroupConfig | undefined;
  trunk: (name: string) => Trunk | undefined;
  profiles: PeerProfiles;
  /** Realm / domain used in identities (`sip:user@domain`). */
  domain: string;
}

const G711 = ['pcmu', 'pcma'];

function has(p: PeerProfile, codec: string): boolean {
  return p.codecs.allow.some((c) => c.toLowerCase() === codec);
}

/** Codecs of `p` in its preference order: `prefer` first, then the rest of `allow`. */
function ordered(p: PeerProfile): string[] {
  const out: string[] = [];
  for (const c of [...p.codecs.prefer, ...p.codecs.allow]) if (!out.some((o) => o.toLowerCase() === c.toLowerCase())) out.push(c);
  return out;
}

/**
 * The codec decision between two profiles: passthrough on the common codecs (A's order)
 * unless a side's policy is `prefer-opus` and only it has Opus; else Opus <-> G.711
 * transcoding when the legs share nothing; else null (488).
 */
export function decideMedia(a: PeerProfile, b: PeerProfile): MediaDecision | null {
  const common = ordered(a).filter((c) => has(b, c.toLowerCase()));
  const g711 = (p: PeerProfile): string | undefined => ordered(p).find((c) => G711.includes(c.toLowerCase()));
  const opusTo = (opusSide: PeerProfile, other: PeerProfile): boolean =>
    opusSide.transcoding === 'prefer-opus' && has(opusSide, 'opus') && !has(other, 'opus') && g711(other) !== undefined;
  if (opusTo(a, b)) return { transcode: true, a: 'opus', b: g711(b)! };
  if (opusTo(b, a)) return { transcode: true, a: g711(a)!, b: 'opus' };
  if (common.length > 0) return { transcode: false, codecs: common };
  if (has(a, 'opus') && g711(b)) return { transcode: true, a: 'opus', b: g711(b)! };
  if (has(b, 'opus') && g711(a)) return { transcode: true, a: g711(a)!, b: 'opus' };
  return null;
}

const legKind = (p: PeerProfile): 'webrtc' | 'sip' => (p.media === 'webrtc' ? 'webrtc' : 'sip');
const isWs = (t: string | undefined): boolean => t === 'ws' || t === 'wss';

type LegDraft = Omit<CalleeLegPlan, 'media'>;

/**
 * The legs ringing local user `u`: one per registered contact (not the caller's own device), or
 * its static contact when it has no binding.
 */
function userLegs(u: LocalUser, bindings: readonly Binding[], caller: Caller, profiles: PeerProfiles): LegDraft[] {
  const legs: LegDraft[] = [];
  for (const b of bindings) {
    // do not ring the device that is calling
    if (caller.kind === 'user' && caller.user === u.name && caller.flowId !== undefined && b.flowId === caller.flowId) continue;
    const profile = profiles.forUser(u.profile, isWs(b.source?.transport));
    legs.push({
      kind: legKind(profile), profile, uri: b.contact,
      ...(b.source ? { nextHop: { transport: b.source.transport, host: b.source.address, port: b.source.port } } : {}),
      ...(b.flowId ? { flowId: b.flowId } : {}),
    });
  }
  if (legs.length === 0 && u.contact) {
    const profile = profiles.forUser(u.profile, false);
    legs.push({ kind: legKind(profile), profile, uri: u.contact });
  }
  return legs;
}
const NUMBER = /^\+?[0-9]{1,20}$/;

/**
 * Decides the call plan for an authenticated INVITE: resolves the dial plan target (registered
 * contacts, a static endpoint, a trunk with failover addresses), picks each leg's peer profile
 * (webrtc vs sip, media profile) and the codec decision, and the caller ID. Pure: no I/O.
 */
export function planCall(input: PlanCallInput): CallPlan {
  const { caller, route, profiles } = input;
  if (!route.ok) return route.reason === 'invalid' ? { ok: false, status: 484, reason: 'Address Incomplete' } : { ok: false, status: 404, reason: 'Not Found' };

  // A leg
  let aProfile: PeerProfile | undefined;
  if (caller.kind === 'trunk') aProfile = profiles.get(caller.trunk.profile);
  else aProfile = profiles.forUser(input.user(caller.user)?.profile, caller.overWebSocket);
  if (!aProfile) return { ok: false, status: 503, reason: 'Caller Profile Missing' };
  const a: LegPlan = { kind: legKind(aProfile), profile: aProfile };

  let legs: LegDraft[] = [];
  let fork: 'parallel' | 'sequential' = 'parallel';
  let ring: RingPlan | undefined;
  let targetTrunk: Trunk | undefined;
  const t = route.target;
  switch (t.kind) {
    case 'user': {
      const u = input.user(t.user);
      if (!u) return { ok: false, status: 404, reason: 'Not Found' };
      legs = userLegs(u, input.bindings, caller, profiles);
      if (legs.length === 0) return { ok: false, status: 480, reason: 'Temporarily Unavailable' };
      break;
    }
    case 'endpoint': {
      const u = input.user(t.name);
      if (!u?.contact) return { ok: false, status: 404, reason: 'Not Found' };
      const profile = profiles.forUser(u.profile, false);
      legs.push({ kind: legKind(profile), profile, uri: u.contact });
      break;
    }
    case 'trunk': {
      targetTrunk = input.trunk(t.trunk);
      if (!targetTrunk) return { ok: false, status: 503, reason: 'Trunk Not Configured' };
      const profile = profiles.get(targetTrunk.profile);
      if (!profile) return { ok: false, status: 503, reason: 'Trunk Profile Missing' };
      fork = 'sequential';
      for (const addr of targetTrunk.addresses) {
        const { host, port } = splitHostPort(addr);
        const h = host.includes(':') ? `[${host}]` : host;
        const tp = targetTrunk.transport === 'udp' ? '' : `;transport=${targetTrunk.transport}`;
        const reg = targetTrunk.register;
        legs.push({
          kind: legKind(profile), profile, uri: `sip:${t.number}@${h}${port === undefined ? '' : `:${port}`}${tp}`, trunkAddress: addr,
          ...(reg ? { auth: { username: reg.user, password: reg.password } } : {}),
        });
      }
      break;
    }
    case 'group': {
      const g = input.group?.(t.group);
      if (!g) return { ok: false, status: 404, reason: 'Not Found' };
      for (const name of g.members) {
        // a member calling its own group is not rung
        if (caller.kind === 'user' && caller.user === name) continue;
        const u = input.user(name);
        if (!u) continue;
        for (const leg of userLegs(u, input.memberBindings?.(name) ?? [], caller, profiles)) legs.push({ ...leg, member: name });
      }
      if (legs.length === 0) return { ok: false, status: 480, reason: 'Temporarily Unavailable' };
      fork = g.ring;
      ring = { group: g.name, memberTimeoutMs: g.memberTimeoutSeconds * 1000, totalTimeoutMs: g.timeoutSeconds * 1000 };
      break;
    }
  }

  const b: CalleeLegPlan[] = [];
  for (const leg of legs) {
    const media = decideMedia(aProfile, leg.profile);
    if (media) b.push({ ...leg, media });
  }
  if (b.length === 0) return { ok: false, status: 488, reason: 'Not Acceptable Here' };

  return { ok: true, rule: route.rule, a, b, fork, ...(ring ? { ring } : {}), callerId: callerId(input, targetTrunk) };
}

function callerId(input: PlanCallInput, target: Trunk | undefined): CallerIdPlan {
  const c = input.caller;
  let user: string;
  if (c.kind === 'trunk') {
    user = (c.trunk.callerId.trust && input.presented.assertedUser) || input.presented.fromUser || 'anonymous';
  } else {
    user = c.user;
  }
  if (!target) return { user };
  if (!NUMBER.test(user)) user = target.callerId.defaultNumber || user;
  if (!target.callerId.assert || !NUMBER.test(user)) return { user };
  return { user, pAssertedIdentity: `<sip:${user}@${input.domain}>` };
}
