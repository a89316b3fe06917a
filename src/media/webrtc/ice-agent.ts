import { randomBytes } from 'node:crypto';
import {
  ATTR_ICE_CONTROLLED, ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USE_CANDIDATE, ATTR_USERNAME, ATTR_ERROR_CODE,
  ATTR_XOR_MAPPED_ADDRESS, STUN_BINDING_ERROR, STUN_BINDING_INDICATION, STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS,
  decodeStun, encodeStun,
  newTransactionId, u32, verifyIntegrity, xorMappedAddress, type StunAttr, type StunMessage,
} from './stun.js';
import type { IceCandidateParams, IceState } from './types.js';

import { systemClock, type MediaClock, type MediaTimer } from '../clock.js';

export interface IceAgentOptions {
  /** Behave as ICE-lite (RFC 8445 §2.5): answer checks, send none. Default false (full ICE). */
  lite?: boolean;
  /** Initial role; the offerer is controlling unless it is lite (RFC 8445 §6.1.1). */
  controlling: boolean;
  /** Send a datagram on the leg's socket. */
  send(buf: Buffer, port: number, address: string): void;
  onStateChange?(state: IceState): void;
  /** Called when the selected remote address changes. */
  onSelected?(address: string, port: number): void;
  clock?: MediaClock;
  /** Consent freshness interval in ms (RFC 7675 §5.1), full mode only. Default 5000. */
  consentIntervalMs?: number;
  /** Consent expiry in ms (RFC 7675 §5.1). Default 30000. */
  consentTimeoutMs?: number;
  /** Local port (for PRIORITY of peer-reflexive candidates). */
  localPreference?: number;
}

interface Check {
  address: string;
  port: number;
  txId: Buffer;
  tries: number;
  timer: MediaTimer | null;
  nominate: boolean;
  /** Our role when the last request of this check was sent (for a 487 response, RFC 8445 §7.2.5.1). */
  sentControlling: boolean;
}

/** ERROR-CODE attribute value (RFC 8489 §14.8): 0, 0, class, number, reason phrase. */
function errorCodeAttr(code: number, reason: string): Buffer {
  return Buffer.from([0, 0, Math.floor(code / 100), code % 100, ...Buffer.from(reason)]);
}

/** The error code of an error response, or 0. */
function errorCodeOf(msg: StunMessage): number {
  const v = msg.attributes.get(ATTR_ERROR_CODE);
  return v !== undefined && v.length >= 4 ? (v[2] & 7) * 100 + v[3] : 0;
}

/**
 * Generate an ICE ufrag/pwd pair (RFC 8445 §5.3: ufrag ≥ 24 bits, pwd ≥ 128 bits). Plain base64
 * of a multiple of 3 bytes: only ice-chars (ALPHA / DIGIT / "+" / "/", RFC 8839 §5.4), no padding
 * (base64url's "-" and "_" are not ice-chars and the SDP writer refuses them).
 */
export function newIceCredentials(): { ufrag: string; pwd: string } {
  return { ufrag: randomBytes(6).toString('base64'), pwd: randomBytes(18).toString('base64') };
}

const MAX_TRIES = 7;
/** Earlier local ICE credentials still answered after restarts. */
const MAX_PREVIOUS_CREDENTIALS = 3;
const CHECK_PACING_MS = 20;
/** Controlling, after a switch: interval and count of repeated nominations until the peer is seen on the new pair. */
const RENOMINATE_INTERVAL_MS = 500;
const RENOMINATE_MAX = 20;
/**
 * How long the previous pair stays accepted once the peer's media showed up on the new pair:
 * twice Chromium's 2.5 s "receiving" timeout. Chromium, controlled, may switch back to the
 * previous pair when our last packets on it arrive after it moved, and leaves it again only when
 * that pair stops receiving (seen in the e2e test: about 2.7 s of its media on the old pair).
 */
const PREVIOUS_PAIR_SETTLE_MS = 5000;

/**
 * A single-component UDP ICE agent (RFC 8445) for one BUNDLE'd, rtcp-mux'd
 * transport. Lite mode answers Binding requests and selects the pair the
 * controlling agent nominates. Full mode also runs connectivity checks toward
 * the remote candidates (aggressive nomination when controlling), triggered
 * checks on incoming requests, and consent freshness (RFC 7675).
 * The agent owns no socket: the leg hands it STUN datagrams and it sends via `send`.
 */
export class IceAgent {
  readonly lite: boolean;
  controlling: boolean;
  localUfrag: string;
  localPwd: string;
  private remoteUfrag = '';
  private remotePwd = '';
  private remoteCandidates: IceCandidateParams[] = [];
  state: IceState = 'new';
  selectedAddress: string | null = null;
  selectedPort = 0;
  private readonly checks = new Map<string, Check>();
  private readonly valid = new Set<string>();
  private readonly nominatedByPeer = new Set<string>();
  private readonly tieBreaker = randomBytes(8);
  private readonly clock: MediaClock;
  private consentTimer: MediaTimer | null = null;
  private readonly startTimers = new Set<MediaTimer>();
  private lastConsent = 0;
  private lastRequestAt = 0;
  private closed = false;
  /**
   * Local credentials of earlier ICE sessions (newest first, at most {@link MAX_PREVIOUS_CREDENTIALS}),
   * still answered: checks of the previous ICE session keep the current pair's consent alive
   * (RFC 8445 §9), and Chromium's new ICE session keeps using our previous credentials on its new
   * candidates when its first checks (sent before our answer arrived) succeeded with them.
   */
  private readonly prevLocal: Array<{ ufrag: string; pwd: string }> = [];
  /** The remote password before a remote restart: verifies late responses to checks sent with it. */
  private prevRemotePwd: string | null = null;
  /** True between restartLocal() and the remote's new credentials (setRemote). */
  private awaitingRemoteRestart = false;
  /** True from a remote restart (new remote credentials) until the new ICE session selects a pair. */
  private restartPending = false;
  /**
   * Remote transport addresses that proved they know our password in the current ICE session
   * (an authenticated request, or a successful check): media from them is accepted even before
   * they are selected.
   */
  private readonly authenticated = new Set<string>();
  /**
   * The previously selected pair, still accepted as a media source after the selection moved to
   * another pair (see {@link IceAgent.isAuthenticatedSource}); null when there is none or its grace ended.
   */
  private previousAddress: string | null = null;
  private previousPort = 0;
  /** Clock time (ms) at which the previous pair stops being accepted, unless refreshed by its consent checks. */
  private previousUntil = 0;
  /** The peer's media was seen on the new pair: the previous pair's grace is down to its settle time, not extended any more. */
  private previousSettling = false;
  /** Timer of the repeated nominations of the selected pair (controlling, previous pair in grace). */
  private renominateTimer: MediaTimer | null = null;
  private renominateLeft = 0;
  /** Our ufrag as the peer used it from each address (current or previous credentials): our checks there use the same. */
  private readonly localUfragFor = new Map<string, string>();
  /**
   * Counters for diagnostics. `restarts`: ICE restarts applied (remote credentials replaced);
   * `roleSwitches`: role changes after a role conflict (RFC 8445 §7.3.1.1, §7.2.5.1);
   * `previousPairPackets`: packets from the previously selected pair let through during its grace (SRTP still checks them).
   */
  readonly stats = { requestsReceived: 0, requestsBadAuth: 0, responsesReceived: 0, requestsSent: 0, restarts: 0, roleSwitches: 0, previousPairPackets: 0 };

  constructor(private readonly opts: IceAgentOptions) {
    this.lite = opts.lite ?? false;
    this.controlling = this.lite ? false : opts.controlling;
    this.clock = opts.clock ?? systemClock;
    const c = newIceCredentials();
    this.localUfrag = c.ufrag;
    this.localPwd = c.pwd;
  }

  /**
   * Set (or replace, on ICE restart) the remote credentials and candidates. New credentials are an
   * ICE restart (RFC 8445 §9): the checks and the valid list start over on the new credentials;
   * the selected pair stays in use (media continues) until the new checks select a pair, which may
   * be another remote address/port.
   */
  setRemote(ufrag: string, pwd: string, candidates: readonly IceCandidateParams[], remoteLite = false): void {
    const restart = this.remoteUfrag !== '' && (ufrag !== this.remoteUfrag || pwd !== this.remotePwd);
    if (restart) {
      this.prevRemotePwd = this.remotePwd;
      this.awaitingRemoteRestart = false;
      this.restartPending = true;
      this.stats.restarts++;
    }
    this.remoteUfrag = ufrag;
    this.remotePwd = pwd;
    if (remoteLite && !this.lite) this.controlling = true;
    this.remoteCandidates = candidates.filter((c) => c.transport === 'udp' && c.component === 1
      && !c.address.endsWith('.local') && c.port > 0);
    if (restart) {
      this.cancelChecks();
      this.valid.clear();
      this.nominatedByPeer.clear();
      this.authenticated.clear();
      this.localUfragFor.clear();
    }
    if (this.state === 'new') this.setState('checking');
    if (!this.lite) {
      let delay = 0;
      // Paced initial checks (RFC 8445 §14: Ta).
      for (const c of this.remoteCandidates) {
        const t: MediaTimer = this.clock.setTimer(() => { this.startTimers.delete(t); this.startCheck(c.address, c.port); }, delay, false);
        this.startTimers.add(t);
        delay += CHECK_PACING_MS;
      }
    }
  }

  /**
   * Candidates learned later for the same ICE generation (a re-offer with more
   * candidates, or trickle, RFC 8838): check the ones not seen before.
   */
  addRemoteCandidates(candidates: readonly IceCandidateParams[]): void {
    const known = new Set(this.remoteCandidates.map((c) => `${c.address}:${c.port}`));
    const fresh = candidates.filter((c) => c.transport === 'udp' && c.component === 1 && !c.address.endsWith('.local')
      && c.port > 0 && !known.has(`${c.address}:${c.port}`));
    this.remoteCandidates.push(...fresh);
    if (this.lite || this.closed) return;
    for (const c of fresh) this.startCheck(c.address, c.port);
  }

  /**
   * ICE restart (RFC 8445 §9; RFC 8839 §4.4.1.1.1: an answerer to a restarting offer restarts
   * too): new local credentials; the remote's arrive via setRemote. Checks made with the previous
   * credentials are still answered (the last few sets). A check belongs to the new ICE session
   * when it names the remote's current ufrag (USERNAME `ours:theirs`), whichever of our ufrags it
   * uses (Chromium keeps our previous ones on its new candidates when its first checks, sent
   * before our answer arrived, succeeded); only those select pairs, and our checks toward that
   * address use the same ufrag. Checks of the previous session only keep consent alive.
   */
  restartLocal(): { ufrag: string; pwd: string } {
    this.prevLocal.unshift({ ufrag: this.localUfrag, pwd: this.localPwd });
    if (this.prevLocal.length > MAX_PREVIOUS_CREDENTIALS) this.prevLocal.length = MAX_PREVIOUS_CREDENTIALS;
    this.awaitingRemoteRestart = true;
    const c = newIceCredentials();
    this.localUfrag = c.ufrag;
    this.localPwd = c.pwd;
    return c;
  }

  /** Handle a STUN datagram from the socket. Returns false if it was dropped. */
  handleStun(buf: Buffer, address: string, port: number): boolean {
    if (this.closed) return false;
    const msg = decodeStun(buf);
    if (!msg) return false;
    if (msg.type === STUN_BINDING_REQUEST) {
      this.stats.requestsReceived++;
      const username = msg.attributes.get(ATTR_USERNAME)?.toString() ?? '';
      const colon = username.indexOf(':');
      const ufrag = colon < 0 ? null : username.slice(0, colon);
      const theirUfrag = colon < 0 ? '' : username.slice(colon + 1);
      let pwd: string | null = null;
      if (ufrag === this.localUfrag && verifyIntegrity(msg, this.localPwd)) pwd = this.localPwd;
      else for (const p of this.prevLocal) if (ufrag === p.ufrag && verifyIntegrity(msg, p.pwd)) { pwd = p.pwd; break; }
      if (pwd === null || ufrag === null) {
        this.stats.requestsBadAuth++;
        if (msg.attributes.has(ATTR_USERNAME)) {
          this.opts.send(encodeStun(STUN_BINDING_ERROR, msg.transactionId, [{ type: ATTR_ERROR_CODE, value: errorCodeAttr(401, 'Unauthorized') }]), port, address);
        }
        return false;
      }
      if (!this.lite && !this.resolveRoleConflict(msg)) {
        // We keep our role: 487 tells the peer to switch (RFC 8445 §7.3.1.1).
        this.opts.send(encodeStun(STUN_BINDING_ERROR, msg.transactionId, [{ type: ATTR_ERROR_CODE, value: errorCodeAttr(487, 'Role Conflict') }], pwd), port, address);
        return true;
      }
      const resp = encodeStun(STUN_BINDING_SUCCESS, msg.transactionId,
        [{ type: ATTR_XOR_MAPPED_ADDRESS, value: xorMappedAddress(address, port, msg.transactionId) }], pwd);
      this.opts.send(resp, port, address);
      this.lastRequestAt = this.clock.now();
      // The peer keeps consent on the previously selected pair (RFC 7675 §5.1): it may keep sending
      // there. A grace that already ended is not revived (lost consent is not regained).
      if (this.previousAddress !== null && port === this.previousPort && address === this.previousAddress) {
        if (this.lastRequestAt >= this.previousUntil) this.previousAddress = null;
        else if (!this.previousSettling) this.previousUntil = this.lastRequestAt + this.consentTimeoutMs;
      }
      // A check of the previous ICE session (it names the remote's old ufrag): consent for the
      // current pair only, it selects nothing (unless nothing was ever selected).
      if (theirUfrag !== this.remoteUfrag && this.selectedAddress !== null) return true;
      const key = `${address}:${port}`;
      this.authenticated.add(key);
      this.localUfragFor.set(key, ufrag);
      const useCandidate = msg.attributes.has(ATTR_USE_CANDIDATE);
      if (this.lite) {
        // Lite: a pair is valid as soon as a check arrives; nomination selects it (RFC 8445 §7.3.1.5).
        if (useCandidate || this.selectedAddress === null) this.select(address, port);
        return true;
      }
      if (useCandidate && !this.controlling) this.nominatedByPeer.add(key);
      if (this.valid.has(key)) {
        if (useCandidate && !this.controlling) this.select(address, port);
      } else if (!this.checks.has(key) && this.remoteUfrag !== '') {
        // Triggered check (RFC 8445 §7.3.1.4).
        this.startCheck(address, port);
      }
      if (this.selectedAddress === null && this.valid.has(key)) this.select(address, port);
      return true;
    }
    if (msg.type === STUN_BINDING_SUCCESS || msg.type === STUN_BINDING_ERROR) {
      const key = `${address}:${port}`;
      const check = this.checks.get(key);
      if (!check || !check.txId.equals(msg.transactionId)) {
        // Consent response on the selected pair (possibly to a request sent before a restart);
        // anything else (unsolicited, error, bad integrity) is a drop.
        if (msg.type === STUN_BINDING_SUCCESS && (verifyIntegrity(msg, this.remotePwd)
          || (this.prevRemotePwd !== null && verifyIntegrity(msg, this.prevRemotePwd)))) {
          this.lastConsent = this.clock.now();
          return true;
        }
        return false;
      }
      if (!verifyIntegrity(msg, this.remotePwd)) return false;
      if (msg.type === STUN_BINDING_ERROR) {
        if (this.lite || errorCodeOf(msg) !== 487) return false;
        // Role conflict (RFC 8445 §7.2.5.1): take the other role than the request claimed, check the pair again.
        this.setRole(!check.sentControlling);
        if (check.timer) this.clock.clearTimer(check.timer);
        check.txId = newTransactionId();
        check.tries = 0;
        this.sendCheck(key, check);
        return true;
      }
      this.stats.responsesReceived++;
      if (check.timer) this.clock.clearTimer(check.timer);
      this.checks.delete(key);
      this.valid.add(key);
      this.authenticated.add(key);
      this.lastConsent = this.clock.now();
      if (this.controlling ? check.nominate : (this.nominatedByPeer.has(key) || this.selectedAddress === null)) {
        this.select(address, port);
      }
      return true;
    }
    // Binding indications are keepalives (RFC 8445 §11); other STUN methods/classes are not ours: a counted drop.
    return msg.type === STUN_BINDING_INDICATION;
  }

  private buildRequest(txId: Buffer, nominate: boolean, key: string): Buffer {
    const local = this.localUfragFor.get(key) ?? this.localUfrag;
    const attrs: StunAttr[] = [
      { type: ATTR_USERNAME, value: Buffer.from(`${this.remoteUfrag}:${local}`) },
      // Peer-reflexive priority (RFC 8445 §7.1.1): type preference 110.
      { type: ATTR_PRIORITY, value: u32((110 << 24) | (65535 << 8) | 255) },
      { type: this.controlling ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED, value: this.tieBreaker },
    ];
    if (nominate) attrs.push({ type: ATTR_USE_CANDIDATE, value: Buffer.alloc(0) });
    return encodeStun(STUN_BINDING_REQUEST, txId, attrs, this.remotePwd);
  }

  private startCheck(address: string, port: number): void {
    if (this.closed || this.lite || this.remoteUfrag === '') return;
    const key = `${address}:${port}`;
    if (this.checks.has(key) || this.valid.has(key)) return;
    const check: Check = { address, port, txId: newTransactionId(), tries: 0, timer: null, nominate: this.controlling, sentControlling: this.controlling };
    this.checks.set(key, check);
    this.sendCheck(key, check);
  }

  private sendCheck(key: string, check: Check): void {
    if (this.closed) return;
    if (check.tries >= MAX_TRIES) {
      this.checks.delete(key);
      if (this.checks.size === 0 && this.selectedAddress === null && this.valid.size === 0) this.setState('failed');
      return;
    }
    check.tries++;
    this.stats.requestsSent++;
    check.sentControlling = this.controlling;
    this.opts.send(this.buildRequest(check.txId, check.nominate, key), check.port, check.address);
    // RFC 8445 §14.3 / RFC 8489 §6.2.1 style backoff, capped.
    const rto = Math.min(100 * 2 ** (check.tries - 1), 1600);
    check.timer = this.clock.setTimer(() => this.sendCheck(key, check), rto, false);
  }

  /**
   * True when media from `address:port` (not the selected pair) is accepted. Two cases:
   *
   * - It proved it knows our current ICE password (an authenticated check of the current ICE
   *   session, or a successful check toward it): during an ICE restart the peer may move its media
   *   to such a pair before it nominates it (RFC 8445 §12.2: be prepared to receive on the
   *   candidates of the latest exchange).
   * - It is the **previously selected pair**, within its grace. When our selection moves (an ICE
   *   restart, or a switch), the peer has not necessarily moved: until its own checklist produces
   *   the new selected pair it keeps sending on the previous one (RFC 8445 §9: "during the
   *   restart, data can continue to be sent using existing data sessions"; §12.1: while the
   *   checklist is Running the selected pair *is* the previous one), and it may do so as long as
   *   it holds consent there (RFC 7675 §5.1: a peer sending on the previously validated pair
   *   during a restart keeps consent freshness on it; we keep answering those checks). Chromium,
   *   controlled, only switches once its own check on the nominated pair succeeds. So the previous
   *   pair stays accepted until its consent would lapse: `consentTimeoutMs` after the switch,
   *   pushed back by each authenticated check we answer from it; once authenticated media shows
   *   up on the new selected pair ({@link IceAgent.noteSelectedMedia}) the grace is cut to
   *   {@link PREVIOUS_PAIR_SETTLE_MS} (not extended any more), because a peer can still flap back
   *   for a moment (Chromium does, for about its 2.5 s receiving timeout). Not after a
   *   switch away from a pair whose consent had failed; never for a source that was never
   *   selected or authenticated. SRTP keys do not change on a restart, so the packets are still
   *   authenticated by SRTP.
   *
   * Slow path only (the leg compares with the selected pair first); no allocation for the
   * previous pair.
   */
  isAuthenticatedSource(address: string, port: number): boolean {
    if (this.previousAddress !== null && port === this.previousPort && address === this.previousAddress) {
      if (this.clock.now() < this.previousUntil) {
        this.stats.previousPairPackets++;
        return true;
      }
      this.previousAddress = null;
    }
    return this.authenticated.size !== 0 && this.authenticated.has(`${address}:${port}`);
  }

  /**
   * The leg authenticated media (SRTP/SRTCP) from the selected pair: the peer has moved to it, so
   * the previously selected pair's grace is cut to {@link PREVIOUS_PAIR_SETTLE_MS} and our
   * repeated nominations stop (see {@link IceAgent.isAuthenticatedSource}).
   * Per-packet safe: two field tests once settling, no allocation.
   */
  noteSelectedMedia(): void {
    if (this.previousAddress !== null && !this.previousSettling) {
      this.previousSettling = true;
      this.previousUntil = Math.min(this.previousUntil, this.clock.now() + PREVIOUS_PAIR_SETTLE_MS);
      this.stopRenominate();
    }
  }

  /** True while the previously selected pair is still accepted as a media source (diagnostics, tests). */
  get previousPairAccepted(): boolean {
    if (this.previousAddress === null) return false;
    if (this.clock.now() < this.previousUntil) return true;
    this.previousAddress = null;
    return false;
  }

  private get consentTimeoutMs(): number {
    return this.opts.consentTimeoutMs ?? 30000;
  }

  /** True while an ICE restart has begun and the new ICE session has not selected a pair yet. */
  get restarting(): boolean {
    return this.awaitingRemoteRestart || this.restartPending;
  }

  /**
   * Both sides claim the same role (RFC 8445 §7.3.1.1), e.g. a callee browser that re-offers with
   * an ICE restart and takes the controlling role: the larger tie-breaker is controlling. Returns
   * false when we keep our role and the peer must switch (answer 487); true otherwise (no
   * conflict, or we switched).
   */
  private resolveRoleConflict(msg: StunMessage): boolean {
    const theirs = msg.attributes.get(this.controlling ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED);
    if (theirs === undefined || theirs.length !== 8) return true;
    const oursLarger = Buffer.compare(this.tieBreaker, theirs) >= 0;
    if (this.controlling === oursLarger) return false;
    this.setRole(!this.controlling);
    return true;
  }

  private setRole(controlling: boolean): void {
    if (this.controlling === controlling) return;
    this.controlling = controlling;
    this.stats.roleSwitches++;
    // Checks in progress continue in the new role (aggressive nomination only when controlling).
    for (const c of this.checks.values()) c.nominate = controlling;
  }

  private select(address: string, port: number): void {
    const changed = address !== this.selectedAddress || port !== this.selectedPort;
    if (changed) {
      // The pair we move away from stays an accepted media source for a grace (isAuthenticatedSource),
      // unless its consent had already failed (RFC 7675 §5.1: nothing is sent there any more).
      this.previousSettling = false;
      if (this.selectedAddress !== null && this.state !== 'failed') {
        this.previousAddress = this.selectedAddress;
        this.previousPort = this.selectedPort;
        this.previousUntil = this.clock.now() + this.consentTimeoutMs;
      } else {
        this.previousAddress = null;
      }
    }
    this.selectedAddress = address;
    this.selectedPort = port;
    if (changed) {
      this.stopRenominate();
      if (this.controlling && !this.lite && this.previousAddress !== null) {
        this.renominateLeft = RENOMINATE_MAX;
        this.scheduleRenominate();
      }
    }
    // The new ICE session selected a pair: the restart is complete.
    if (!this.awaitingRemoteRestart) this.restartPending = false;
    if (changed) this.opts.onSelected?.(address, port);
    if (this.state !== 'connected') this.setState('connected');
    if (!this.lite && this.consentTimer === null) this.scheduleConsent();
  }

  /**
   * Controlling, after the selection moved: repeat the nomination (a check with USE-CANDIDATE on
   * the selected pair) every {@link RENOMINATE_INTERVAL_MS}, at most {@link RENOMINATE_MAX}
   * times, until the peer's media shows up on the pair (noteSelectedMedia) or the previous pair's
   * grace ends. Why: a controlled agent selects the pair we nominate (RFC 8445 §8.1.1), but
   * Chromium applies a role switch after a role conflict (RFC 8445 §7.3.1.1) asynchronously and
   * honours USE-CANDIDATE only in the controlled role; after its restarting re-offer it claims
   * controlling, so a nomination that reaches it before the switch is answered but ignored, and
   * it stays on the previous pair (nominated in the previous session) for good. Repeating a
   * nomination of the selected pair changes nothing for an agent that already took it.
   */
  private scheduleRenominate(): void {
    this.renominateTimer = this.clock.setTimer(() => {
      this.renominateTimer = null;
      if (this.closed || !this.controlling || this.renominateLeft <= 0 || !this.previousPairAccepted || this.selectedAddress === null) return;
      this.renominateLeft--;
      this.stats.requestsSent++;
      this.opts.send(this.buildRequest(newTransactionId(), true, `${this.selectedAddress}:${this.selectedPort}`), this.selectedPort, this.selectedAddress);
      this.scheduleRenominate();
    }, RENOMINATE_INTERVAL_MS, false);
  }

  private stopRenominate(): void {
    if (this.renominateTimer !== null) this.clock.clearTimer(this.renominateTimer);
    this.renominateTimer = null;
  }

  private scheduleConsent(): void {
    const interval = this.opts.consentIntervalMs ?? 5000;
    const jitter = interval * (0.8 + Math.random() * 0.4);
    this.lastConsent = this.lastConsent || this.clock.now();
    this.consentTimer = this.clock.setTimer(() => {
      this.consentTimer = null;
      if (this.closed || this.selectedAddress === null) return;
      const timeout = this.consentTimeoutMs;
      const now = this.clock.now();
      if (now - this.lastConsent > timeout && now - this.lastRequestAt > timeout) {
        this.setState('failed');
        return;
      }
      this.opts.send(this.buildRequest(newTransactionId(), false, `${this.selectedAddress}:${this.selectedPort}`), this.selectedPort, this.selectedAddress);
      this.scheduleConsent();
    }, jitter, false);
  }

  private cancelChecks(): void {
    for (const c of this.checks.values()) if (c.timer) this.clock.clearTimer(c.timer);
    this.checks.clear();
    for (const t of this.startTimers) this.clock.clearTimer(t);
    this.startTimers.clear();
  }

  private setState(s: IceState): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.onStateChange?.(s);
  }

  /** Local host candidates for the given announced addresses and the bound port (RFC 8445 §5.1.2). */
  static hostCandidates(addresses: readonly string[], port: number): IceCandidateParams[] {
    return addresses.map((address, i) => ({
      foundation: String(i + 1), component: 1, transport: 'udp', priority: ((126 << 24) | ((65535 - i) << 8) | 255) >>> 0,
      address, port, type: 'host',
    }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.previousAddress = null;
    this.stopRenominate();
    this.cancelChecks();
    if (this.consentTimer !== null) this.clock.clearTimer(this.consentTimer);
    this.consentTimer = null;
    this.setState('closed');
  }
}
