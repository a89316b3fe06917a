import { randomBytes } from 'node:crypto';
import {
  ATTR_ICE_CONTROLLED, ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USE_CANDIDATE, ATTR_USERNAME, ATTR_ERROR_CODE,
  ATTR_XOR_MAPPED_ADDRESS, STUN_BINDING_ERROR, STUN_BINDING_INDICATION, STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS,
  decodeStun, encodeStun,
  newTransactionId, u32, verifyIntegrity, xorMappedAddress, type StunAttr,
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
const CHECK_PACING_MS = 20;

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
  /** Counters for diagnostics. */
  readonly stats = { requestsReceived: 0, requestsBadAuth: 0, responsesReceived: 0, requestsSent: 0 };

  constructor(private readonly opts: IceAgentOptions) {
    this.lite = opts.lite ?? false;
    this.controlling = this.lite ? false : opts.controlling;
    this.clock = opts.clock ?? systemClock;
    const c = newIceCredentials();
    this.localUfrag = c.ufrag;
    this.localPwd = c.pwd;
  }

  /** Set (or replace, on ICE restart) the remote credentials and candidates. */
  setRemote(ufrag: string, pwd: string, candidates: readonly IceCandidateParams[], remoteLite = false): void {
    const restart = this.remoteUfrag !== '' && ufrag !== this.remoteUfrag;
    this.remoteUfrag = ufrag;
    this.remotePwd = pwd;
    if (remoteLite && !this.lite) this.controlling = true;
    this.remoteCandidates = candidates.filter((c) => c.transport === 'udp' && c.component === 1
      && !c.address.endsWith('.local') && c.port > 0);
    if (restart) {
      this.cancelChecks();
      this.valid.clear();
      this.nominatedByPeer.clear();
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

  /** ICE restart (RFC 8445 §9): new local credentials; the remote's arrive via setRemote. */
  restartLocal(): { ufrag: string; pwd: string } {
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
      if (colon < 0 || username.slice(0, colon) !== this.localUfrag || !verifyIntegrity(msg, this.localPwd)) {
        this.stats.requestsBadAuth++;
        if (msg.attributes.has(ATTR_USERNAME)) {
          const err = Buffer.from([0, 0, 4, 1, ...Buffer.from('Unauthorized')]);
          this.opts.send(encodeStun(STUN_BINDING_ERROR, msg.transactionId, [{ type: ATTR_ERROR_CODE, value: err }]), port, address);
        }
        return false;
      }
      const resp = encodeStun(STUN_BINDING_SUCCESS, msg.transactionId,
        [{ type: ATTR_XOR_MAPPED_ADDRESS, value: xorMappedAddress(address, port, msg.transactionId) }], this.localPwd);
      this.opts.send(resp, port, address);
      this.lastRequestAt = this.clock.now();
      const key = `${address}:${port}`;
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
        // Consent response on the selected pair; anything else (unsolicited, error, bad integrity) is a drop.
        if (msg.type === STUN_BINDING_SUCCESS && verifyIntegrity(msg, this.remotePwd)) {
          this.lastConsent = this.clock.now();
          return true;
        }
        return false;
      }
      if (msg.type === STUN_BINDING_ERROR || !verifyIntegrity(msg, this.remotePwd)) return false;
      this.stats.responsesReceived++;
      if (check.timer) this.clock.clearTimer(check.timer);
      this.checks.delete(key);
      this.valid.add(key);
      this.lastConsent = this.clock.now();
      if (this.controlling ? check.nominate : (this.nominatedByPeer.has(key) || this.selectedAddress === null)) {
        this.select(address, port);
      }
      return true;
    }
    // Binding indications are keepalives (RFC 8445 §11); other STUN methods/classes are not ours: a counted drop.
    return msg.type === STUN_BINDING_INDICATION;
  }

  private buildRequest(txId: Buffer, nominate: boolean): Buffer {
    const attrs: StunAttr[] = [
      { type: ATTR_USERNAME, value: Buffer.from(`${this.remoteUfrag}:${this.localUfrag}`) },
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
    const check: Check = { address, port, txId: newTransactionId(), tries: 0, timer: null, nominate: this.controlling };
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
    this.opts.send(this.buildRequest(check.txId, check.nominate), check.port, check.address);
    // RFC 8445 §14.3 / RFC 8489 §6.2.1 style backoff, capped.
    const rto = Math.min(100 * 2 ** (check.tries - 1), 1600);
    check.timer = this.clock.setTimer(() => this.sendCheck(key, check), rto, false);
  }

  private select(address: string, port: number): void {
    const changed = address !== this.selectedAddress || port !== this.selectedPort;
    this.selectedAddress = address;
    this.selectedPort = port;
    if (changed) this.opts.onSelected?.(address, port);
    if (this.state !== 'connected') this.setState('connected');
    if (!this.lite && this.consentTimer === null) this.scheduleConsent();
  }

  private scheduleConsent(): void {
    const interval = this.opts.consentIntervalMs ?? 5000;
    const jitter = interval * (0.8 + Math.random() * 0.4);
    this.lastConsent = this.lastConsent || this.clock.now();
    this.consentTimer = this.clock.setTimer(() => {
      this.consentTimer = null;
      if (this.closed || this.selectedAddress === null) return;
      const timeout = this.opts.consentTimeoutMs ?? 30000;
      const now = this.clock.now();
      if (now - this.lastConsent > timeout && now - this.lastRequestAt > timeout) {
        this.setState('failed');
        return;
      }
      this.opts.send(this.buildRequest(newTransactionId(), false), this.selectedPort, this.selectedAddress);
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
    this.cancelChecks();
    if (this.consentTimer !== null) this.clock.clearTimer(this.consentTimer);
    this.consentTimer = null;
    this.setState('closed');
  }
}
