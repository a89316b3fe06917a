import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { PortPool } from '../../../../src/media/net/index.js';
import { isSenderReport, parseRtcp } from '../../../../src/media/rtp/index.js';
import { WebRtcLeg, sharedDtlsCertificate, type DtlsCertificate, type SrtpProfileName } from '../../../../src/media/webrtc/index.js';
import { OpusSink, OpusToneSource, toneFraction } from './audio.js';
import { NdcBrowser, buildLegSdp, ndcShutdown } from './ndc-browser.js';
import { inNetns, runMochaInNetns } from '../../../helpers/netns.js';
import { pump, sleep, toRemote, waitFor } from './support.js';

const thisFile = fileURLToPath(import.meta.url);

if (!inNetns()) {
  describe('WebRTC leg (integration, re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(120000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 110000 });
      if (r.code !== 0) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      // exit 0 alone would also pass a run that executed no test
      expect(r.stdout).to.match(/\b[1-9]\d* passing\b/);
      expect(r.stdout).to.not.match(/\d+ failing/);
    });
  });
} else {
  describe('WebRTC leg ↔ node-datachannel (netns, loopback only)', () => {
    let cert: DtlsCertificate;
    let pool: PortPool;
    const legs: WebRtcLeg[] = [];
    const browsers: NdcBrowser[] = [];

    before(async () => {
      cert = await sharedDtlsCertificate();
      pool = new PortPool({ min: 41000, max: 41999 });
    });
    afterEach(() => {
      for (const l of legs.splice(0)) l.close();
      for (const b of browsers.splice(0)) b.close();
    });
    after(async function () {
      this.timeout(10000);
      await ndcShutdown();
    });

    /** Tones both ways through an answering leg; returns the leg. */
    async function callWithTones(opts: { iceLite: boolean; srtpProfiles?: SrtpProfileName[] }): Promise<WebRtcLeg> {
      const leg = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert, iceLite: opts.iceLite, srtpProfiles: opts.srtpProfiles });
      legs.push(leg);
      const browser = new NdcBrowser(`ndc-${legs.length}`);
      browsers.push(browser);
      const offer = await browser.offer();
      expect(offer.sdp).not.to.match(/a=ssrc:/);
      leg.apply(offer.remote);
      const local = leg.localParams();
      expect(local.setup).to.equal('active');
      browser.answer(buildLegSdp(local, { type: 'answer', opusPt: 111 }), local);
      await browser.waitConnected();
      await waitFor(() => leg.stats().dtlsState === 'connected', 5000, 'DTLS connected');

      const toBrowser = new OpusToneSource(1000, 111, 0x1111);
      const toLeg = new OpusToneSource(440, 111, 0x2222);
      const atLeg = new OpusSink();
      const atBrowser = new OpusSink();
      leg.onRtp = (p) => atLeg.push(p);
      browser.onRtp = (p) => atBrowser.push(p);
      await pump(1500, () => { leg.sendRtp(toBrowser.nextPacket()); browser.send(toLeg.nextPacket()); });
      await sleep(200);
      expect(toneFraction(atLeg.samples(), 48000, 440), '440 Hz at the leg').to.be.greaterThan(0.8);
      expect(toneFraction(atBrowser.samples(), 48000, 1000), '1 kHz at the browser').to.be.greaterThan(0.8);
      expect(toneFraction(atLeg.samples(), 48000, 1000)).to.be.lessThan(0.1);
      return leg;
    }

    it('full ICE answerer: ICE + DTLS-SRTP, Opus tones both ways, offer without a=ssrc', async () => {
      const leg = await callWithTones({ iceLite: false });
      const st = leg.stats();
      expect(st.iceState).to.equal('connected');
      // libdatachannel as DTLS server prefers GCM when we offer both.
      expect(st.srtpProfile).to.equal('AEAD_AES_128_GCM');
      expect(st.counters.srtpAuthFailures).to.equal(0);
      expect(st.ice.requestsSent).to.be.greaterThan(0);
    });

    it('random and malformed datagrams are counted drops; the call keeps its tone', async () => {
      const leg = await callWithTones({ iceLite: false });
      const before = leg.stats().counters;
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      const junk: Buffer[] = [];
      for (let i = 0; i < 3000; i++) {
        const b = randomBytes(1 + (i % 200));
        // Cover every demux class: STUN-looking, DTLS-looking, RTP/RTCP-looking and other first bytes.
        b[0] = [0x00, 0x01, 0x16, 0x17, 0x80, 0x81, 0x90, 0xff, 0x40][i % 9];
        if (b.length > 1 && i % 3 === 0) b[1] = 200;
        junk.push(b);
      }
      // Paced (100 per 10 ms) so the kernel's receive buffer does not drop them before the leg sees them.
      for (let i = 0; i < junk.length; i += 100) {
        for (const b of junk.slice(i, i + 100)) sock.send(b, leg.localPort, '127.0.0.1');
        await sleep(10);
      }
      await sleep(200);
      sock.close();
      const after = leg.stats().counters;
      const dropped = (after.malformed - before.malformed) + (after.unexpectedSource - before.unexpectedSource)
        + (after.discarded - before.discarded) + (after.srtpAuthFailures - before.srtpAuthFailures);
      expect(dropped, 'every junk datagram is a counted drop').to.be.greaterThan(2700);
      expect(after.rxPackets).to.equal(before.rxPackets);
      expect(leg.stats().iceState).to.equal('connected');
      expect(leg.stats().dtlsState).to.equal('connected');
      // Media still flows after the storm.
      // A new SSRC: libsrtp in the peer refuses to protect older sequence numbers on the old one.
      const src = new OpusToneSource(440, 111, 0x3333);
      const sink = new OpusSink();
      leg.onRtp = (p) => sink.push(p);
      const b = browsers[browsers.length - 1];
      await pump(600, () => { b.send(src.nextPacket()); });
      await sleep(100);
      expect(toneFraction(sink.samples(), 48000, 440), JSON.stringify(leg.stats())).to.be.greaterThan(0.8);
    });

    it('ICE-lite: answers checks, sends none, media flows (AES_CM_128_HMAC_SHA1_80 on Tandem SRTP)', async () => {
      const leg = await callWithTones({ iceLite: true, srtpProfiles: ['AES_CM_128_HMAC_SHA1_80'] });
      expect(leg.stats().srtpProfile).to.equal('AES_CM_128_HMAC_SHA1_80');
      expect(leg.localParams().iceLite).to.equal(true);
      expect(leg.stats().ice.requestsSent).to.equal(0);
      expect(leg.stats().ice.requestsReceived).to.be.greaterThan(0);
    });

    it('close() is idempotent and releases the port', async () => {
      const before = pool.used;
      const leg = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert });
      expect(pool.used).to.equal(before + 1);
      leg.close();
      leg.close();
      expect(pool.used).to.equal(before);
      expect(() => leg.apply(toRemote(leg.localParams()))).to.throw(/closed/);
    });
  });

  describe('WebRTC leg ↔ WebRTC leg (netns): the ClientHello before the answer (RFC 5763 §5)', () => {
    // Tandem offers a=setup:actpass (it called the browser); the browser answers a=setup:active and
    // sends its ClientHello as soon as its ICE check succeeds, before its answer reaches Tandem.
    // RFC 5763 §5: the offerer must be prepared for that. Here B (the browser) applies the offer,
    // its check on A succeeds, and its ClientHello reaches A before A has B's answer. werift (B)
    // retransmits 0.5 s after the first flight, then 1 s later: A applies the answer 0.6 s after
    // the first ClientHello, so a handshake that waited for a retransmission would take ~0.9 s.
    it('offerer: a ClientHello that came before the answer is handled when the answer is applied, not left to retransmissions', async function () {
      this.timeout(20000);
      const cert = await sharedDtlsCertificate();
      const pool = new PortPool({ min: 44500, max: 44999 });
      const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert });
      const b = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert });
      try {
        const offer = a.localParams();
        expect(offer.setup).to.equal('actpass');
        b.apply(toRemote(offer));
        const answer = b.localParams();
        expect(answer.setup).to.equal('active');
        await waitFor(() => a.stats().dtlsEarlyRecords > 0, 5000, 'B\'s ClientHello at A before the answer');
        await sleep(600);
        expect(a.stats().dtlsState, 'no DTLS session before the answer').to.equal('new');
        const appliedAt = Date.now();
        a.apply(toRemote(answer));
        await waitFor(() => a.stats().dtlsState === 'connected' && b.stats().dtlsState === 'connected', 5000, 'DTLS');
        const took = Date.now() - appliedAt;
        expect(took, `DTLS connected ${took} ms after the answer (a retransmission would come ~900 ms after it)`).to.be.lessThan(500);
        expect(a.stats().counters.discarded, 'the early ClientHello is not a drop').to.equal(0);
        // Media both ways on the keys of that handshake.
        const toB = new OpusToneSource(1000, 111, 0xaaaa);
        const toA = new OpusToneSource(440, 111, 0xbbbb);
        const atA = new OpusSink();
        const atB = new OpusSink();
        a.onRtp = (p) => atA.push(p);
        b.onRtp = (p) => atB.push(p);
        await pump(800, () => { a.sendRtp(toB.nextPacket()); b.sendRtp(toA.nextPacket()); });
        await sleep(100);
        expect(toneFraction(atA.samples(), 48000, 440), '440 Hz at A').to.be.greaterThan(0.8);
        expect(toneFraction(atB.samples(), 48000, 1000), '1 kHz at B').to.be.greaterThan(0.8);
      } finally {
        a.close();
        b.close();
      }
    });

    it('a DTLS record before the answer from an address that passed no ICE check is dropped', async function () {
      this.timeout(10000);
      const cert = await sharedDtlsCertificate();
      const pool = new PortPool({ min: 44500, max: 44999 });
      const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert });
      const s = dgram.createSocket('udp4');
      try {
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        // A DTLS 1.2 handshake record header (content type 22, version 254.253) with a short body.
        const rec = Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]), Buffer.from([1, 0, 0, 0])]);
        s.send(rec, a.localPort, '127.0.0.1');
        await waitFor(() => a.stats().counters.discarded === 1, 3000, 'counted drop');
        expect(a.stats().dtlsEarlyRecords).to.equal(0);
      } finally {
        s.close();
        a.close();
      }
    });
  });

  describe('WebRTC leg ↔ WebRTC leg (netns): DTLS server role, ICE restart', () => {
    it('offerer (controlling, DTLS server) ↔ answerer; ICE restart keeps media flowing', async () => {
      const cert = await sharedDtlsCertificate();
      const pool = new PortPool({ min: 42000, max: 42999 });
      // A accepts only AEAD_AES_128_GCM (RFC 7714), so this call runs on the GCM path.
      const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert, srtpProfiles: ['AEAD_AES_128_GCM'], rtcpIntervalMs: 200 });
      const b = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert, rtcpIntervalMs: 200 });
      try {
        expect(a.localParams().setup).to.equal('actpass');
        b.apply(toRemote(a.localParams()));
        a.apply(toRemote(b.localParams()));
        await waitFor(() => a.stats().dtlsState === 'connected' && b.stats().dtlsState === 'connected', 5000, 'DTLS');
        expect(a.localParams().setup).to.equal('passive');
        expect(b.stats().srtpProfile).to.equal('AEAD_AES_128_GCM');

        const srcA = new OpusToneSource(1000, 111, 0xaaaa);
        const srcB = new OpusToneSource(440, 111, 0xbbbb);
        const atA = new OpusSink();
        const atB = new OpusSink();
        // RTCP (RFC 3550): B's reports about A's stream arrive at A over SRTCP.
        const aboutA: Array<{ ssrc: number; fractionLost: number }> = [];
        a.onRtcp = (p) => {
          const r = parseRtcp(p);
          if (r.ok) for (const pk of r.packets) if (isSenderReport(pk)) aboutA.push(...pk.reports);
        };
        a.onRtp = (p) => atA.push(p);
        b.onRtp = (p) => atB.push(p);
        const tick = (): void => { a.sendRtp(srcA.nextPacket()); b.sendRtp(srcB.nextPacket()); };
        await pump(600, tick);
        expect(a.stats().rtcpReceived, 'SRTCP from B').to.be.greaterThan(0);
        expect(aboutA.some((rb) => rb.ssrc === 0xaaaa && rb.fractionLost === 0), 'report block about A').to.equal(true);

        // ICE restart (RFC 8445 §9): both sides take new credentials.
        const oldUfrag = a.localParams().iceUfrag;
        const respBefore = a.stats().ice.responsesReceived;
        const aNew = a.restartIce();
        expect(aNew.iceUfrag).to.not.equal(oldUfrag);
        const bNew = b.restartIce();
        b.apply(toRemote(aNew));
        a.apply(toRemote(bNew));
        await pump(900, tick);
        await sleep(100);
        expect(a.stats().ice.responsesReceived, 'new checks answered with new creds').to.be.greaterThan(respBefore);
        expect(a.stats().iceState).to.equal('connected');
        expect(toneFraction(atB.samples(), 48000, 1000)).to.be.greaterThan(0.8);
        expect(toneFraction(atA.samples(), 48000, 440)).to.be.greaterThan(0.8);
        expect(a.stats().counters.srtpAuthFailures + b.stats().counters.srtpAuthFailures).to.equal(0);

        // Hold (RFC 3264 §8.4): B becomes recvonly → B sends nothing, A hears silence; resume restores the tone.
        b.setDirection('recvonly');
        const heldBefore = atA.samples().length;
        await pump(400, tick);
        expect(atA.samples().length - heldBefore, 'nothing from a held leg').to.equal(0);
        expect(b.stats().counters.discarded).to.be.greaterThan(10);
        b.setDirection('sendrecv');
        const resumedFrom = atA.samples().length;
        await pump(600, tick);
        await sleep(100);
        expect(toneFraction(atA.samples().subarray(resumedFrom), 48000, 440), 'tone after resume').to.be.greaterThan(0.8);
      } finally {
        a.close();
        b.close();
      }
    });
  });
}
