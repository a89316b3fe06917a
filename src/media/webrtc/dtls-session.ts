import type { AddressInfo } from 'node:net';
import { DtlsClient, DtlsServer, type DtlsSocket, keyLength, saltLength, type SrtpProfile } from 'werift';
import { TandemError } from '../../common/errors.js';
import { certificateFingerprint, type DtlsCertificate } from './certificate.js';
import type { SrtpKeys } from './srtp-transform.js';
import type { DtlsFingerprint, DtlsState, SrtpProfileName } from './types.js';

/**
 * The cookie length of the ClientHello starting this datagram (DTLS 1.2, RFC 6347 §4.2.1: record
 * header, handshake header, client_version, random, session_id, cookie), or -1 when the datagram
 * does not start with the first fragment of a ClientHello.
 */
export function clientHelloCookieLength(buf: Buffer): number {
  // Record: type 22 (handshake), version, epoch, seq, length (13 bytes); handshake: type 1
  // (client_hello), length, message_seq, fragment_offset 0, fragment_length (12 bytes).
  if (buf.length < 61 || buf[0] !== 22 || buf[13] !== 1 || buf[19] !== 0 || buf[20] !== 0 || buf[21] !== 0) return -1;
  const at = 60 + buf[59];
  return at < buf.length ? buf[at] : -1;
}

/** DTLS handshake failed or the peer's certificate did not match its a=fingerprint. */
export class DtlsError extends TandemError {}

const PROFILE_IDS: Record<SrtpProfileName, SrtpProfile> = { AES_CM_128_HMAC_SHA1_80: 1, AEAD_AES_128_GCM: 7 };
const PROFILE_NAMES = new Map<number, SrtpProfileName>([[1, 'AES_CM_128_HMAC_SHA1_80'], [7, 'AEAD_AES_128_GCM']]);

export interface DtlsSessionOptions {
  /** 'client' sends the ClientHello (a=setup:active), 'server' waits (a=setup:passive). */
  role: 'client' | 'server';
  certificate: DtlsCertificate;
  remoteFingerprints: readonly DtlsFingerprint[];
  /** SRTP profiles we accept, in preference order. */
  profiles: readonly SrtpProfileName[];
  /** Send a DTLS record toward the selected ICE pair. */
  send(buf: Buffer): void;
  onStateChange(state: DtlsState, keys: SrtpKeys | null, error: Error | null): void;
}

/**
 * DTLS-SRTP (RFC 5763/5764) handshake for one leg, driving werift's DtlsClient /
 * DtlsServer over an in-memory transport: we feed it records from our own
 * socket demux and it sends through `send`. Only the handshake runs here; SRTP
 * keys are exported (RFC 5705 "EXTRACTOR-dtls_srtp") and media never passes
 * through werift's DTLS code.
 */
export class DtlsSession {
  state: DtlsState = 'new';
  profile: SrtpProfileName | null = null;
  /** Stale ClientHellos dropped (server role), see {@link DtlsSession.handle}. */
  staleClientHellos = 0;
  private sawCookieHello = false;
  private socket: DtlsSocket | null = null;
  private readonly transport: {
    type: string; address: AddressInfo; closed: boolean;
    onData: (data: Buffer, addr: unknown) => void;
    send: (data: Buffer) => Promise<void>;
    close: () => Promise<void>;
  };

  constructor(private readonly opts: DtlsSessionOptions) {
    this.transport = {
      type: 'udp', address: { address: '', family: 'IPv4', port: 0 }, closed: false,
      onData: () => undefined,
      send: async (data: Buffer) => { if (!this.transport.closed) this.opts.send(data); },
      close: async () => { this.transport.closed = true; },
    };
  }

  /** Create the DTLS endpoint. A server is ready to take a ClientHello at once; a client sends it. */
  start(): void {
    if (this.socket || this.state === 'closed') return;
    const o = this.opts;
    const common = {
      cert: o.certificate.certPem, key: o.certificate.keyPem, signatureHash: o.certificate.signatureHash,
      transport: this.transport as never, srtpProfiles: o.profiles.map((p) => PROFILE_IDS[p]),
      extendedMasterSecret: true,
    };
    const sock: DtlsSocket = o.role === 'server' ? new DtlsServer({ ...common, certificateRequest: true }) : new DtlsClient(common);
    this.socket = sock;
    this.setState('connecting', null, null);
    sock.onConnect.once(() => this.onConnected());
    sock.onError.once((e: Error) => this.fail(e));
    sock.onClose.once(() => { if (this.state === 'connected') this.setState('closed', null, null); });
    if (sock instanceof DtlsClient) sock.connect().catch((e: unknown) => this.fail(e));
  }

  /**
   * Feed a DTLS record received from the network. As server, a stale ClientHello is dropped: a
   * cookieless one once the client's ClientHello with our cookie arrived (RFC 6347 §4.2.1: a
   * late retransmission of its first flight), and any once connected (WebRTC never renegotiates;
   * a new handshake comes with a new fingerprint and a new session). werift's server answers
   * every cookieless ClientHello with a fresh server random and ECDHE key pair, even after it
   * sent its ServerHello, so such a late retransmission (Chromium's first DTLS retransmission
   * comes after 50 ms; a loaded Tandem answers later) left the two ends with different keys:
   * werift reported connected, Chromium stayed "connecting" and no audio flowed.
   */
  handle(buf: Buffer): void {
    if (this.opts.role === 'server') {
      const cookie = clientHelloCookieLength(buf);
      if (cookie >= 0) {
        if (this.state === 'connected' || (cookie === 0 && this.sawCookieHello)) {
          this.staleClientHellos++;
          return;
        }
        if (cookie > 0) this.sawCookieHello = true;
      }
    }
    if (this.socket && !this.transport.closed) this.transport.onData(buf, undefined);
  }

  private onConnected(): void {
    const sock = this.socket;
    if (!sock || this.state !== 'connecting') return;
    try {
      const der = sock.remoteCertificate;
      if (!der) throw new DtlsError('ERR_DTLS_NO_CERT', 'peer sent no certificate');
      const ok = this.opts.remoteFingerprints.some((fp) => {
        const alg = fp.algorithm.toLowerCase();
        if (!['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'].includes(alg)) return false;
        return certificateFingerprint(Buffer.from(der), alg) === fp.value.toUpperCase();
      });
      if (!ok) throw new DtlsError('ERR_DTLS_FINGERPRINT', 'peer certificate does not match a=fingerprint');
      const profileId = sock.srtp.srtpProfile;
      const profile = profileId === undefined ? undefined : PROFILE_NAMES.get(profileId);
      if (!profile || profileId === undefined) throw new DtlsError('ERR_DTLS_NO_SRTP_PROFILE', 'no SRTP profile negotiated');
      const k = sock.extractSessionKeys(keyLength(profileId), saltLength(profileId));
      this.profile = profile;
      this.setState('connected', {
        profile, localKey: Buffer.from(k.localKey), localSalt: Buffer.from(k.localSalt),
        remoteKey: Buffer.from(k.remoteKey), remoteSalt: Buffer.from(k.remoteSalt),
      }, null);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    const err = e instanceof Error ? e : new DtlsError('ERR_DTLS_FAILED', String(e));
    this.setState('failed', null, err);
  }

  private setState(s: DtlsState, keys: SrtpKeys | null, err: Error | null): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.onStateChange(s, keys, err);
  }

  close(): void {
    if (this.state === 'closed' && this.transport.closed) return;
    this.transport.closed = true;
    this.transport.onData = () => undefined;
    this.socket = null;
    this.setState('closed', null, null);
  }
}
