// Stale ClientHellos at a DTLS server (RFC 6347 §4.2.1): werift's server answers every cookieless
// ClientHello with a fresh server random and ECDHE key pair, even after its ServerHello went out,
// so a late retransmission of the client's first flight desynchronised the keys (the Chromium
// callee e2e test: Tandem "connected", the page's DTLS stuck in "connecting", no audio). The
// session drops such records before werift sees them. No socket here: the session is not
// started, so nothing reaches werift; only the filter runs.
import { expect } from 'chai';
import { DtlsSession, clientHelloCookieLength } from '../../../../src/media/webrtc/dtls-session.js';
import { sharedDtlsCertificate } from '../../../../src/media/webrtc/certificate.js';

/** A DTLS 1.2 record holding the first fragment of a ClientHello with `sessionId` and `cookie`. */
function clientHello(opts: { sessionId?: number; cookie?: number; offset?: number; type?: number } = {}): Buffer {
  const sid = Buffer.alloc(opts.sessionId ?? 0, 7);
  const cookie = Buffer.alloc(opts.cookie ?? 0, 9);
  const body = Buffer.concat([Buffer.from([0xfe, 0xfd]), Buffer.alloc(32, 1), Buffer.from([sid.length]), sid, Buffer.from([cookie.length]), cookie,
    Buffer.from([0, 2, 0xc0, 0x2b, 1, 0])]);
  const hs = Buffer.alloc(12);
  hs[0] = opts.type ?? 1;
  hs.writeUIntBE(body.length, 1, 3);
  hs.writeUIntBE(opts.offset ?? 0, 6, 3);
  hs.writeUIntBE(body.length, 9, 3);
  const rec = Buffer.alloc(13);
  rec[0] = 22; rec[1] = 0xfe; rec[2] = 0xfd;
  rec.writeUInt16BE(hs.length + body.length, 11);
  return Buffer.concat([rec, hs, body]);
}

describe('DtlsSession: stale ClientHellos (RFC 6347 §4.2.1)', () => {
  it('clientHelloCookieLength reads the cookie length of a first ClientHello fragment, -1 for anything else', () => {
    expect(clientHelloCookieLength(clientHello())).to.equal(0);
    expect(clientHelloCookieLength(clientHello({ sessionId: 32, cookie: 20 }))).to.equal(20);
    expect(clientHelloCookieLength(clientHello({ offset: 100 })), 'a later fragment').to.equal(-1);
    expect(clientHelloCookieLength(clientHello({ type: 16 })), 'another handshake message').to.equal(-1);
    expect(clientHelloCookieLength(clientHello().subarray(0, 40)), 'truncated').to.equal(-1);
    const app = clientHello();
    app[0] = 23;
    expect(clientHelloCookieLength(app), 'application data').to.equal(-1);
  });

  it('server: a cookieless ClientHello after the one with the cookie is dropped; both before it pass', async () => {
    const cert = await sharedDtlsCertificate();
    const s = new DtlsSession({ role: 'server', certificate: cert, remoteFingerprints: [], profiles: ['AES_CM_128_HMAC_SHA1_80'], send: () => undefined, onStateChange: () => undefined });
    s.handle(clientHello());
    s.handle(clientHello({ sessionId: 32 }));
    expect(s.staleClientHellos, 'retransmitted first flight before the cookie: passes').to.equal(0);
    s.handle(clientHello({ cookie: 20 }));
    s.handle(clientHello({ cookie: 20 }));
    expect(s.staleClientHellos, 'the ClientHello with the cookie (and its retransmission) pass').to.equal(0);
    s.handle(clientHello());
    expect(s.staleClientHellos, 'late first flight: dropped').to.equal(1);
    s.close();
  });

  it('client role: nothing is filtered', async () => {
    const cert = await sharedDtlsCertificate();
    const s = new DtlsSession({ role: 'client', certificate: cert, remoteFingerprints: [], profiles: ['AES_CM_128_HMAC_SHA1_80'], send: () => undefined, onStateChange: () => undefined });
    s.handle(clientHello({ cookie: 20 }));
    s.handle(clientHello());
    expect(s.staleClientHellos).to.equal(0);
    s.close();
  });
});
