// End to end through the whole Gateway: Chromium (demo page, fake mic 440 Hz) calls a UDP phone
// written here (answers PCMU + telephone-event/8000 with the payload type Tandem offered, and parses
// every RTP packet it receives). The page types '159#' (tandemPhone.sendDtmf, RFC 4733 through
// JsSIP's RTCDTMFSender); the phone must decode exactly 1, 5, 9, # in order (RFC 4733 §2.3, end bit),
// each with a plausible duration, on the negotiated telephone-event PT at the 8000 Hz clock, and
// must receive PCMU audio carrying the page's 440 Hz before and after the digits.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { dtmfEventName, parseTelephoneEvent } from '../../../src/media/dtmf/rfc4733.js';
import { ulawToLinear } from '../../../src/media/codecs/g711.js';
import { UdpPhone } from '../../helpers/udp-phone.js';
import type { SipMsg } from '../../helpers/sip-text.js';
import { toneDominates } from '../../helpers/tone.js';
import { inNetns } from '../../helpers/netns.js';
import { describeNetnsRerun } from '../../helpers/netns-suite.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { launchBrowser, type TestBrowser } from '../web/browser.js';
import { registerPage, startGateway, type GatewayHarness } from './gateway-harness.js';

const thisFile = fileURLToPath(import.meta.url);

/** One RTP packet as the phone saw it. */
interface RxPacket { at: number; pt: number; marker: boolean; ts: number; seq: number; payload: Buffer }

/** One decoded telephone-event (all packets sharing an RTP timestamp, RFC 4733 §2.3.1). */
interface RxEvent { digit: string; ts: number; firstAt: number; duration: number; ended: boolean; packets: number; endPackets: number }

/**
 * A phone answering PCMU/8000 + telephone-event/8000 (the payload type Tandem's offer uses for it)
 * on its own RTP socket, and recording every RTP packet.
 */
class DtmfPhone extends UdpPhone {
  readonly rtp: dgram.Socket;
  readonly packets: RxPacket[] = [];
  /** The telephone-event/8000 payload type put in the answer (from Tandem's offer). */
  tePt = -1;
  offer = '';

  constructor(rtp: dgram.Socket) {
    super({ answer: '' });
    this.rtp = rtp;
    rtp.on('message', (buf) => {
      if (buf.length < 12 || buf[0] >> 6 !== 2) return;
      let off = 12 + (buf[0] & 0x0f) * 4;
      if (buf[0] & 0x10) {
        if (buf.length < off + 4) return;
        off += 4 + buf.readUInt16BE(off + 2) * 4;
      }
      let end = buf.length;
      if (buf[0] & 0x20) end -= buf[buf.length - 1];
      if (off > end) return;
      this.packets.push({ at: Date.now(), pt: buf[1] & 0x7f, marker: (buf[1] & 0x80) !== 0, seq: buf.readUInt16BE(2), ts: buf.readUInt32BE(4), payload: Buffer.from(buf.subarray(off, end)) });
    });
  }

  protected override answerSdp(invite: SipMsg): string {
    if (!this.offer) this.offer = invite.body;
    const m = /^a=rtpmap:(\d+) telephone-event\/8000/im.exec(invite.body);
    if (m) this.tePt = Number(m[1]);
    const rtpPort = this.rtp.address().port;
    const pts = this.tePt >= 0 ? `0 ${this.tePt}` : '0';
    return [
      'v=0', 'o=dtmfphone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${rtpPort} RTP/AVP ${pts}`, 'a=rtpmap:0 PCMU/8000',
      ...(this.tePt >= 0 ? [`a=rtpmap:${this.tePt} telephone-event/8000`, `a=fmtp:${this.tePt} 0-16`] : []),
      'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n');
  }

  /** Telephone-events among the received packets, in order of first arrival. */
  events(): RxEvent[] {
    const byTs = new Map<number, RxEvent>();
    for (const p of this.packets) {
      if (p.pt !== this.tePt) continue;
      const ev = parseTelephoneEvent(p.payload);
      if (!ev) continue;
      let e = byTs.get(p.ts);
      if (!e) {
        e = { digit: dtmfEventName(ev.event) ?? `?${ev.event}`, ts: p.ts, firstAt: p.at, duration: 0, ended: false, packets: 0, endPackets: 0 };
        byTs.set(p.ts, e);
      }
      e.packets++;
      e.duration = Math.max(e.duration, ev.duration);
      if (ev.end) {
        e.ended = true;
        e.endPackets++;
      }
    }
    return [...byTs.values()].sort((a, b) => a.firstAt - b.firstAt);
  }
}

/** µ-law payloads of `pkts` decoded to linear PCM, concatenated. */
function decodePcmu(pkts: RxPacket[]): Int16Array {
  const total = pkts.reduce((n, p) => n + p.payload.length, 0);
  const out = new Int16Array(total);
  let i = 0;
  for (const p of pkts) for (const b of p.payload) out[i++] = ulawToLinear(b);
  return out;
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const engineCalls = (h: GatewayHarness): number => (h.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);

if (!inNetns()) {
  describeNetnsRerun('e2e session: Chromium DTMF ↔ Tandem ↔ UDP phone (re-run inside a network namespace)', thisFile, {
    testTimeoutMs: 300000, timeoutMs: 290000, mochaArgs: ['--timeout', '90000'], verbose: process.env.VERBOSE === '1',
  });
} else {
  describe('e2e session: DTMF typed in the Chromium page arrives at a UDP phone through the Gateway (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let phone: DtmfPhone;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-dtmf');
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      phone = new DtmfPhone(rtp);
      await phone.start();
      h = await startGateway([{ name: 'dtmfphone', contact: `sip:dtmf@127.0.0.1:${phone.port}`, profile: 'deskphone' }]);
      browser = await launchBrowser(dir, { toneHz: 440, name: 'alice' });
      await registerPage(browser.page, h, 'alice', 'alice-pw');
    });
    after(async () => {
      await browser?.close();
      await h?.stop();
      phone?.close();
      phone?.rtp.close();
      if (dir) removeTempDir(dir);
    });

    it('the page sends "159#" by RFC 4733: the phone decodes 1,5,9,# (end bit, 40–400 ms) on the negotiated telephone-event/8000 PT, with the page\'s 440 Hz in PCMU before and after', async () => {
      const page = browser.page;
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('dtmfphone'));
      expect(phone.invites).to.equal(1);
      expect(phone.tePt, `telephone-event/8000 in Tandem's offer to the phone:\n${phone.offer}`).to.be.at.least(96);

      // Audio first: 2.5 s of the page's mic before the digits.
      await waitFor('PCMU at the phone', () => phone.packets.some((p) => p.pt === 0), 10000);
      await new Promise((r) => setTimeout(r, 2500));
      const dtmfAt = Date.now();
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { sendDtmf(d: string, o?: object): void } }).tandemPhone.sendDtmf('159#', { transport: 'rtp' }));
      await waitFor('4 ended telephone-events at the phone', () => phone.events().filter((e) => e.ended).length >= 4, 8000).catch(async (e: unknown) => {
        for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
        console.log('page stats', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats())));
        console.log('page dtmfSentRtp', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { dtmfSentRtp: string[] } }).tandemPhone.dtmfSentRtp)));
        console.log('phone PTs', JSON.stringify([...new Set(phone.packets.map((p) => p.pt))]), 'tePt', phone.tePt);
        throw e;
      });
      // Audio after: 2.5 s more, then hang up.
      await new Promise((r) => setTimeout(r, 2500));
      const pageCodec = ((await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats())) as { codec?: { send?: string } } | null)?.codec?.send;
      const sentByPage = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { dtmfSentRtp: string[] } }).tandemPhone.dtmfSentRtp);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      await waitFor('BYE at the phone', () => phone.byeLog.length > 0, 8000);
      await waitFor('engine call closed', () => engineCalls(h) === 0);

      const pts = [...new Set(phone.packets.map((p) => p.pt))].sort((a, b) => a - b);
      expect(pts, 'only PCMU and the negotiated telephone-event PT reach the phone').to.deep.equal([0, phone.tePt].sort((a, b) => a - b));

      const events = phone.events();
      const report = events.map((e) => ({ digit: e.digit, ms: e.duration / 8, units: e.duration, packets: e.packets, endPackets: e.endPackets }));
      console.log(`      page sent (tonechange) ${JSON.stringify(sentByPage)}, page codec ${String(pageCodec)}, telephone-event PT ${phone.tePt}; phone decoded ${JSON.stringify(report)}`);
      expect(events.map((e) => e.digit), JSON.stringify(report)).to.deep.equal(['1', '5', '9', '#']);
      for (const e of events) {
        expect(e.ended, `${e.digit} has an end packet`).to.equal(true);
        // 8000 Hz clock: JsSIP asks for 100 ms (800 units); a 48 kHz duration would be 6× too long.
        expect(e.duration / 8, `${e.digit} duration (ms at 8 kHz)`).to.be.within(40, 400);
      }
      // Event start timestamps advance on the 8 kHz clock: their spacing matches the arrival spacing.
      for (let i = 1; i < events.length; i++) {
        const tsMs = ((events[i].ts - events[i - 1].ts) >>> 0) / 8;
        const wallMs = events[i].firstAt - events[i - 1].firstAt;
        expect(Math.abs(tsMs - wallMs), `event ${i} spacing: ${tsMs} ms of RTP time vs ${wallMs} ms of arrival`).to.be.below(80);
      }

      const firstEv = Math.min(...phone.packets.filter((p) => p.pt === phone.tePt).map((p) => p.at));
      const lastEv = Math.max(...phone.packets.filter((p) => p.pt === phone.tePt).map((p) => p.at));
      expect(firstEv).to.be.at.least(dtmfAt);
      const before = phone.packets.filter((p) => p.pt === 0 && p.at < firstEv);
      const after = phone.packets.filter((p) => p.pt === 0 && p.at > lastEv);
      const toneBefore = toneDominates(decodePcmu(before), 8000, 440, { skipMs: 1000 });
      const toneAfter = toneDominates(decodePcmu(after), 8000, 440, { skipMs: 300 });
      console.log(`      PCMU before: ${before.length} packets ${JSON.stringify(toneBefore)}; after: ${after.length} packets ${JSON.stringify(toneAfter)}`);
      expect(toneBefore.fraction, `440 Hz in the PCMU before the digits: ${JSON.stringify(toneBefore)}`).to.be.greaterThan(0.5);
      expect(toneAfter.fraction, `440 Hz in the PCMU after the digits: ${JSON.stringify(toneAfter)}`).to.be.greaterThan(0.5);
    });
  });
}
