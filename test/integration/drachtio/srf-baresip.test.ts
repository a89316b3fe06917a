/**
 * Unmodified drachtio-srf apps on Tandem's embedded drachtio server, driven by a real
 * baresip 1.0 phone (ctrl_tcp events) over UDP and TCP on loopback:
 * baresip → srf UAS app, and srf UAC app → baresip (auto-answer), with the BYE from either side.
 * Assertions are on SIP outcomes (baresip's CALL_ESTABLISHED / CALL_CLOSED, srf's dialog events).
 *
 * WebSocket: baresip 1.0 (libre 1.1) cannot be a SIP-over-WS client (the binary never adds a
 * websocket transport; `;transport=ws` gives no call), so WS is covered by JsSIP (jssip-ws.test.ts).
 */
import { expect } from 'chai';
import type Srf from 'drachtio-srf';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import { asApp } from './srf-types.js';
import { connectSrf, SDP, startRig, waitFor, type Rig } from './harness.js';

interface Dlg {
  on(ev: 'destroy', fn: (msg: { method?: string; get?(h: string): string | undefined }) => void): void;
  destroy(): Promise<unknown>;
  sip: { callId: string; remoteTag: string };
}

describe('drachtio-srf on Tandem, driven by baresip (UDP, TCP)', function () {
  this.timeout(40000);
  let rig: Rig;
  const srfs: Srf[] = [];

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await stopAllBaresip();
    await rig.close();
  });

  /** A UAS app answering every INVITE with PCMU SDP; reports its dialogs. */
  async function uasApp(dialogs: Dlg[], ended: string[]): Promise<void> {
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((d) => {
        const dlg = d as unknown as Dlg;
        dialogs.push(dlg);
        dlg.on('destroy', () => ended.push('remote-bye'));
      });
    }), ['invite']));
  }

  /** The call really went over `transport`: Tandem received SIP on it and nothing on the other. */
  function expectTransport(transport: 'udp' | 'tcp'): void {
    const t = rig.core.stack.stats().transports;
    const other = transport === 'udp' ? 'tcp' : 'udp';
    expect(t[transport].received, `${transport} messages received`).to.be.greaterThan(0);
    expect(t[other].received, `${other} messages received`).to.equal(0);
    // the SIP stack's own dialog (also for a BYE the drachtio layer built) is gone too
    expect(rig.core.stack.stats().dialogs, 'SIP stack dialogs').to.equal(0);
  }

  const closedReason = async (b: BaresipInstance): Promise<string> => String((await b.waitForEvent('CALL_CLOSED', 10000)).param ?? '');

  for (const transport of ['udp', 'tcp'] as const) {
    const tp = transport === 'tcp' ? ';transport=tcp' : '';

    it(`baresip calls a UAS app over ${transport.toUpperCase()}; baresip hangs up (BYE from the phone)`, async () => {
      const dialogs: Dlg[] = [];
      const ended: string[] = [];
      await uasApp(dialogs, ended);
      const b = await startBaresip({ user: 'alice' });
      const r = await b.dial(`sip:svc@127.0.0.1:${rig.sipPort}${tp}`);
      expect(r.ok, JSON.stringify(r)).to.equal(true);
      await b.waitForEvent('CALL_ESTABLISHED', 10000);
      // srf resolves createUAS on the ACK, which may come just after baresip reports the call
      await waitFor(() => dialogs.length > 0, 'the app dialog');
      expect(dialogs).to.have.length(1);
      await b.hangup();
      await closedReason(b);
      await waitFor(() => ended.length === 1, 'the app dialog to end on the BYE');
      expect(ended).to.deep.equal(['remote-bye']);
      expect(rig.server.sip.stats().dialogs).to.equal(0);
      expectTransport(transport);
    });

    it(`baresip calls a UAS app over ${transport.toUpperCase()}; the app hangs up (BYE to the phone)`, async () => {
      const dialogs: Dlg[] = [];
      const ended: string[] = [];
      await uasApp(dialogs, ended);
      const b = await startBaresip({ user: 'alice' });
      await b.dial(`sip:svc@127.0.0.1:${rig.sipPort}${tp}`);
      await b.waitForEvent('CALL_ESTABLISHED', 10000);
      // srf resolves createUAS on the ACK, which may come just after baresip reports the call
      await waitFor(() => dialogs.length > 0, 'the app dialog');
      expect(dialogs).to.have.length(1);
      await dialogs[0].destroy();
      const reason = await closedReason(b);
      expect(reason.toLowerCase()).to.not.contain('error');
      expect(ended).to.deep.equal([]);
      expect(rig.server.sip.stats().dialogs).to.equal(0);
      expectTransport(transport);
    });

    it(`a UAC app calls baresip (auto-answer) over ${transport.toUpperCase()}; the app hangs up`, async () => {
      const srf = await connectSrf(rig, () => undefined, []);
      srfs.push(srf);
      const b = await startBaresip({ user: 'bob', answerMode: 'auto' });
      const uac = await srf.createUAC(`${b.uri}${tp}`, { localSdp: SDP }) as unknown as Dlg & { remote: { sdp: string } };
      expect(uac.remote.sdp).to.match(/m=audio \d+ RTP\/AVP 0/);
      await b.waitForEvent('CALL_ESTABLISHED', 10000);
      await uac.destroy();
      await closedReason(b);
      expect(rig.server.sip.stats().dialogs).to.equal(0);
      expectTransport(transport);
    });

    it(`a UAC app calls baresip (auto-answer) over ${transport.toUpperCase()}; baresip hangs up`, async () => {
      const srf = await connectSrf(rig, () => undefined, []);
      srfs.push(srf);
      const b = await startBaresip({ user: 'bob', answerMode: 'auto' });
      const uac = await srf.createUAC(`${b.uri}${tp}`, { localSdp: SDP }) as unknown as Dlg;
      const byes: string[] = [];
      uac.on('destroy', (msg) => byes.push(msg.method ?? 'unknown'));
      await b.waitForEvent('CALL_ESTABLISHED', 10000);
      await b.hangup();
      await closedReason(b);
      await waitFor(() => byes.length === 1, 'the UAC dialog to end on the BYE');
      expect(byes).to.deep.equal(['BYE']);
      expect(rig.server.sip.stats().dialogs).to.equal(0);
      expectTransport(transport);
    });
  }
});
