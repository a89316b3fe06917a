// ICE restart (RFC 8445 §9) between two WebRtcLegs on loopback: A plays Tandem (answerer, ICE
// controlled or ICE-lite, DTLS client), B plays the browser (offerer, controlling, DTLS server).
// B reaches A through a UDP relay, so from A's point of view the "browser" sits at the relay's
// port; the restart moves it to a second relay (a new address/port, the old path is gone),
// as when a browser changes networks. node-datachannel cannot restart ICE (libdatachannel has no
// ICE restart), hence a second leg as the peer; the Chromium e2e covers a real browser.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { PortPool } from '../../../../src/media/net/index.js';
import { WebRtcLeg, sharedDtlsCertificate, type DtlsState, type WebRtcLocalParams, type WebRtcRemoteParams } from '../../../../src/media/webrtc/index.js';
import { OpusSink, OpusToneSource, toneFraction } from './audio.js';
import { inNetns, runMochaInNetns } from '../../../helpers/netns.js';
import { pump, sleep, toRemote, waitFor } from './support.js';

const thisFile = fileURLToPath(import.meta.url);

/**
 * One network path: a UDP socket that forwards what B sends to A, and what A sends back to the
 * last address B used. A sees every packet of B as coming from this socket's port.
 */
class Relay {
  private b: { address: string; port: number } | null = null;
  forwarded = 0;
  /** Drop STUN Binding success responses from A to B (B's checks on this path never succeed). */
  dropChecksOfB = false;
  private constructor(readonly sock: dgram.Socket, private readonly aPort: number) {
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port === this.aPort) {
        if (this.dropChecksOfB && msg.length >= 20 && msg[0] === 0x01 && msg[1] === 0x01) return;
        if (this.b) { this.forwarded++; sock.send(msg, this.b.port, this.b.address); }
      } else {
        this.b = { address: rinfo.address, port: rinfo.port };
        this.forwarded++;
        sock.send(msg, this.aPort, '127.0.0.1');
      }
    });
  }

  static async open(aPort: number): Promise<Relay> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new Relay(s, aPort);
  }

  get port(): number {
    return this.sock.address().port;
  }

  close(): void {
    try { this.sock.close(); } catch { /* closed */ }
  }
}

/** `local` with its candidates replaced by the relay (what each side learns through the relay path). */
function via(local: WebRtcLocalParams, relay: Relay): WebRtcRemoteParams {
  const r = toRemote(local);
  return { ...r, candidates: [{ foundation: '9', component: 1, transport: 'udp', priority: 100, address: '127.0.0.1', port: relay.port, type: 'host' }] };
}

if (!inNetns()) {
  describe('WebRTC leg ICE restart (integration, re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(120000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 110000 });
      if (r.code !== 0) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b[1-9]\d* passing\b/);
      expect(r.stdout).to.not.match(/\d+ failing/);
    });
  });
} else {
  describe('WebRTC leg ↔ WebRTC leg: ICE restart moves the peer to a new address/port (netns)', () => {
    for (const lite of [false, true]) {
      it(`${lite ? 'ICE-lite' : 'full ICE (controlled)'} answerer: new credentials both ways, the selected pair moves to the new path, same DTLS/SRTP, tones both ways after the restart`, async function () {
        this.timeout(30000);
        const cert = await sharedDtlsCertificate();
        const pool = new PortPool({ min: lite ? 43000 : 43500, max: lite ? 43499 : 43999 });
        const dtlsA: DtlsState[] = [];
        const dtlsB: DtlsState[] = [];
        const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, iceLite: lite, certificate: cert, rtcpIntervalMs: 300, onDtlsState: (s) => dtlsA.push(s) });
        const b = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert, rtcpIntervalMs: 300, onDtlsState: (s) => dtlsB.push(s) });
        const path1 = await Relay.open(a.localPort);
        const path2 = await Relay.open(a.localPort);
        try {
          // Offer from B (the browser), answer from A; both learn the other through path 1.
          const offer = b.localParams();
          a.apply(via(offer, path1));
          b.apply(via(a.localParams(), path1));
          await waitFor(() => a.stats().dtlsState === 'connected' && b.stats().dtlsState === 'connected', 8000, 'DTLS');
          expect(a.stats().selected).to.deep.equal({ address: '127.0.0.1', port: path1.port });

          const toB = new OpusToneSource(1000, 111, 0xaaaa);
          const toA = new OpusToneSource(440, 111, 0xbbbb);
          const atA = new OpusSink();
          const atB = new OpusSink();
          a.onRtp = (p) => atA.push(p);
          b.onRtp = (p) => atB.push(p);
          const tick = (): void => { a.sendRtp(toB.nextPacket()); b.sendRtp(toA.nextPacket()); };
          await pump(800, tick);
          expect(toneFraction(atA.samples(), 48000, 440), '440 Hz at A before').to.be.greaterThan(0.8);
          expect(toneFraction(atB.samples(), 48000, 1000), '1 kHz at B before').to.be.greaterThan(0.8);
          const authBefore = a.stats().counters.srtpAuthFailures + b.stats().counters.srtpAuthFailures;
          const oldA = a.localParams();

          // The browser's network changes: path 1 is gone. It re-offers with an ICE restart; we answer with new credentials too.
          path1.close();
          const bNew = b.restartIce();
          const aNew = a.restartIce();
          expect(aNew.iceUfrag).to.not.equal(oldA.iceUfrag);
          expect(aNew.icePwd).to.not.equal(oldA.icePwd);
          expect(aNew.fingerprint).to.deep.equal(oldA.fingerprint);
          a.apply(via(bNew, path2));
          b.apply(via(aNew, path2));
          let marks = { a: 0, b: 0 };
          await pump(2500, () => {
            tick();
            if (marks.a === 0 && a.stats().selected?.port === path2.port && b.stats().selected?.port === path2.port) {
              marks = { a: atA.samples().length, b: atB.samples().length };
            }
          });
          await sleep(100);
          const st = a.stats();
          expect(st.selected, 'A now talks to the new path').to.deep.equal({ address: '127.0.0.1', port: path2.port });
          expect(st.iceState).to.equal('connected');
          expect(st.ice.restarts).to.equal(1);
          expect(st.ice.restarting).to.equal(false);
          expect(marks.a, 'selected pair moved during the run').to.be.greaterThan(0);
          // Same DTLS association and SRTP keys: no second handshake, nothing fails to authenticate.
          expect(dtlsA.filter((s) => s === 'connected')).to.have.length(1);
          expect(dtlsB.filter((s) => s === 'connected')).to.have.length(1);
          expect(st.dtlsState).to.equal('connected');
          expect(a.stats().counters.srtpAuthFailures + b.stats().counters.srtpAuthFailures).to.equal(authBefore);
          const afterA = atA.samples().subarray(marks.a);
          const afterB = atB.samples().subarray(marks.b);
          expect(afterA.length, 'audio at A after the restart').to.be.greaterThan(48000);
          expect(afterB.length, 'audio at B after the restart').to.be.greaterThan(48000);
          expect(toneFraction(afterA, 48000, 440), '440 Hz at A after the restart').to.be.greaterThan(0.8);
          expect(toneFraction(afterB, 48000, 1000), '1 kHz at B after the restart').to.be.greaterThan(0.8);
          expect(path2.forwarded).to.be.greaterThan(100);
        } finally {
          a.close();
          b.close();
          path1.close();
          path2.close();
        }
      });
    }

    // RFC 8445 §9/§12.1, RFC 7675 §5.1: our selection moves before the peer's; the peer keeps
    // sending on the previous pair until its own check on the new one succeeds (Chromium, called
    // by Tandem, in the e2e test). Here A (Tandem) offered and is controlling, B restarts; path 2
    // drops the responses to B's checks, so B stays on path 1 while A has nominated path 2.
    it('full ICE controlling (we offered): after we select the new path the peer keeps sending on the old one; its audio is still taken until it moves, then the old path is no longer a source', async function () {
      this.timeout(30000);
      const cert = await sharedDtlsCertificate();
      const pool = new PortPool({ min: 44000, max: 44499 });
      const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert, rtcpIntervalMs: 300 });
      const b = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert, rtcpIntervalMs: 300 });
      const path1 = await Relay.open(a.localPort);
      const path2 = await Relay.open(a.localPort);
      try {
        b.apply(via(a.localParams(), path1));
        a.apply(via(b.localParams(), path1));
        await waitFor(() => a.stats().dtlsState === 'connected' && b.stats().dtlsState === 'connected', 8000, 'DTLS');
        expect(a.stats().ice.controlling).to.equal(true);
        expect(a.stats().selected?.port).to.equal(path1.port);
        const toB = new OpusToneSource(1000, 111, 0xaaaa);
        const toA = new OpusToneSource(440, 111, 0xbbbb);
        const atA = new OpusSink();
        a.onRtp = (p) => atA.push(p);
        const tick = (): void => { a.sendRtp(toB.nextPacket()); b.sendRtp(toA.nextPacket()); };
        await pump(600, tick);
        expect(toneFraction(atA.samples(), 48000, 440), '440 Hz at A before').to.be.greaterThan(0.8);
        const unexpectedBefore = a.stats().counters.unexpectedSource;

        // B re-offers with a restart; A answers with new credentials and nominates path 2 at once.
        path2.dropChecksOfB = true;
        const bNew = b.restartIce();
        const aNew = a.restartIce();
        a.apply(via(bNew, path2));
        b.apply(via(aNew, path2));
        let mark = -1;
        // 2 s: B's check retransmissions on path 2 go at about 0.1, 0.3, 0.7, 1.5, 3.1 and 4.7 s.
        await pump(2000, () => {
          tick();
          if (mark < 0 && a.stats().selected?.port === path2.port) mark = atA.samples().length;
        });
        expect(mark, 'A selected path 2').to.be.greaterThan(-1);
        let st = a.stats();
        expect(b.stats().selected?.port, 'B still sends on path 1').to.equal(path1.port);
        expect(st.ice.previousPairAccepted, 'path 1 still accepted (B not seen on path 2)').to.equal(true);
        expect(st.counters.unexpectedSource - unexpectedBefore, 'nothing of B dropped as from an unexpected source').to.equal(0);
        const lagged = atA.samples().subarray(mark);
        expect(lagged.length, 'B\'s audio over path 1 reached A after A moved to path 2').to.be.greaterThan(48000);
        expect(toneFraction(lagged, 48000, 440), '440 Hz at A while B lags').to.be.greaterThan(0.8);
        expect(st.ice.previousPairPackets, 'taken from the previous pair').to.be.greaterThan(40);

        // B's checks on path 2 succeed: B moves; its first media there cuts path 1's grace to 5 s.
        path2.dropChecksOfB = false;
        let movedAt = 0;
        await pump(3500, () => {
          tick();
          if (movedAt === 0 && b.stats().selected?.port === path2.port) movedAt = Date.now();
        });
        expect(movedAt, 'B moved to path 2').to.be.greaterThan(0);
        expect(a.stats().ice.previousPairAccepted, 'path 1 still accepted while the move settles').to.equal(true);
        await pump(Math.max(0, movedAt + 5300 - Date.now()), tick);
        st = a.stats();
        expect(b.stats().selected?.port, 'B moved to path 2').to.equal(path2.port);
        expect(st.selected?.port).to.equal(path2.port);
        expect(st.ice.previousPairAccepted, 'path 1 no longer a media source').to.equal(false);
        expect(st.counters.unexpectedSource - unexpectedBefore).to.equal(0);
        expect(toneFraction(atA.samples().subarray(mark), 48000, 440), '440 Hz at A throughout').to.be.greaterThan(0.8);
      } finally {
        a.close();
        b.close();
        path1.close();
        path2.close();
      }
    });
  });
}
