import { expect } from 'chai';
import { ValidationError } from '../../../src/common/errors.js';
import type { AppDialog } from '../../../src/drachtio/dialog-store.js';
import { DialogStore } from '../../../src/drachtio/dialog-store.js';
import {
  expiryDelayMs, formatSessionExpires, hasOptionTag, negotiateAsUas, parseMinSE, parseSessionExpires, refreshDelayMs,
  type UasSessionTimerPolicy,
} from '../../../src/drachtio/session-expires.js';
import { SessionTimers } from '../../../src/drachtio/session-timers.js';
import { SipText } from '../../../src/drachtio/sip-text.js';
import { ManualClock } from '../../../src/sip/manual-clock.js';

const policy = (p: Partial<UasSessionTimerPolicy> = {}): UasSessionTimerPolicy => ({ minSE: 90, defaultRefresher: 'uac', ...p });

function invite(headers: string[]): SipText {
  return SipText.parse(['INVITE sip:b@127.0.0.1 SIP/2.0', 'Call-ID: c1', 'CSeq: 1 INVITE', ...headers, '', ''].join('\r\n'));
}

function dialog(id = 'c1;from-tag=a'): AppDialog {
  return {
    id, role: 'uas', method: 'INVITE', state: 'confirmed', callId: 'c1', localTag: 'l', remoteTag: 'a', localHeader: '', remoteHeader: '',
    localSeq: 1, remoteSeq: 1, remoteTarget: 'sip:a@127.0.0.1', routeSet: [], localContact: '', transport: 'udp',
    client: { isOpen: true, send: () => undefined } as unknown as AppDialog['client'],
  };
}

describe('RFC 4028 Session-Expires / Min-SE', () => {
  describe('parsing', () => {
    it('reads the interval and the refresher, case-insensitively and with spaces', () => {
      expect(parseSessionExpires('1800')).to.deep.equal({ deltaSeconds: 1800 });
      expect(parseSessionExpires('90;refresher=uas')).to.deep.equal({ deltaSeconds: 90, refresher: 'uas' });
      expect(parseSessionExpires(' 4000 ; foo=bar ; Refresher = UAC')).to.deep.equal({ deltaSeconds: 4000, refresher: 'uac' });
    });

    it('ignores an unknown refresher value like any generic parameter', () => {
      expect(parseSessionExpires('600;refresher=proxy;x')).to.deep.equal({ deltaSeconds: 600 });
    });

    it('throws a typed error for a non-numeric interval', () => {
      for (const bad of ['', 'abc', '-5', '1.5', '90 90', '12345678901']) {
        expect(() => parseSessionExpires(bad), bad).to.throw(ValidationError).with.property('code', 'ERR_SIP_SESSION_TIMER_HEADER');
      }
      expect(() => parseMinSE('x')).to.throw(ValidationError);
    });

    it('reads Min-SE with parameters and formats Session-Expires', () => {
      expect(parseMinSE('120;lr')).to.equal(120);
      expect(formatSessionExpires(90, 'uas')).to.equal('90;refresher=uas');
    });

    it('finds option tags across Supported lines and comma lists', () => {
      expect(hasOptionTag(['100rel, Timer'], 'timer')).to.equal(true);
      expect(hasOptionTag(['100rel', 'replaces'], 'timer')).to.equal(false);
      expect(hasOptionTag(['timers'], 'timer')).to.equal(false);
    });

    it('reads the compact form x: through SipText', () => {
      const offer = SessionTimers.offerOf(invite(['x: 300;refresher=uac', 'k: timer']));
      expect(offer).to.deep.equal({ sessionExpires: { deltaSeconds: 300, refresher: 'uac' }, uacSupportsTimer: true });
    });
  });

  describe('UAS negotiation (RFC 4028 §9)', () => {
    it('runs no timer for a request without Session-Expires', () => {
      expect(negotiateAsUas({ uacSupportsTimer: true }, policy())).to.deep.equal({ kind: 'none' });
    });

    it('refuses an interval below our Min-SE with 422 data (never below 90)', () => {
      expect(negotiateAsUas({ sessionExpires: { deltaSeconds: 60 }, uacSupportsTimer: true }, policy()))
        .to.deep.equal({ kind: 'reject', minSE: 90 });
      expect(negotiateAsUas({ sessionExpires: { deltaSeconds: 200 }, uacSupportsTimer: true }, policy({ minSE: 300 })))
        .to.deep.equal({ kind: 'reject', minSE: 300 });
      expect(negotiateAsUas({ sessionExpires: { deltaSeconds: 89 }, uacSupportsTimer: false }, policy({ minSE: 30 })))
        .to.deep.equal({ kind: 'reject', minSE: 90 });
    });

    it('keeps the interval and the refresher the UAC named', () => {
      expect(negotiateAsUas({ sessionExpires: { deltaSeconds: 90, refresher: 'uas' }, uacSupportsTimer: true }, policy()))
        .to.deep.equal({ kind: 'accept', intervalSeconds: 90, refresher: 'uas', requireTimer: true });
      expect(negotiateAsUas({ sessionExpires: { deltaSeconds: 1800, refresher: 'uac' }, uacSupportsTimer: false }, policy({ defaultRefresher: 'uas' })))
        .to.deep.equal({ kind: 'accept', intervalSeconds: 1800, refresher: 'uac', requireTimer: true });
    });

    it('chooses the refresher when the UAC named none', () => {
      const se = { deltaSeconds: 600 };
      // supports timer: the policy default
      expect(negotiateAsUas({ sessionExpires: se, uacSupportsTimer: true }, policy())).to.include({ refresher: 'uac', requireTimer: true });
      expect(negotiateAsUas({ sessionExpires: se, uacSupportsTimer: true }, policy({ defaultRefresher: 'uas' }))).to.include({ refresher: 'uas' });
      // no Supported: timer → it cannot refresh, we do; no Require: timer
      expect(negotiateAsUas({ sessionExpires: se, uacSupportsTimer: false }, policy()))
        .to.deep.equal({ kind: 'accept', intervalSeconds: 600, refresher: 'uas', requireTimer: false });
      // drachtio-server's default "none": decline such offers
      expect(negotiateAsUas({ sessionExpires: se, uacSupportsTimer: true }, policy({ defaultRefresher: 'none' }))).to.deep.equal({ kind: 'none' });
      // a refresh inside a dialog keeps the current refresher
      expect(negotiateAsUas({ sessionExpires: se, uacSupportsTimer: true, current: 'uas' }, policy({ defaultRefresher: 'none' })))
        .to.include({ refresher: 'uas' });
    });

    it('takes the current refresher from the dialog for an in-dialog refresh', () => {
      const d = dialog();
      const clock = new ManualClock();
      const timers = new SessionTimers({ clock }, { refresh: () => undefined, expire: () => undefined });
      timers.arm(d, 90, true);
      // we refresh: in the terms of the peer's request we are its UAS
      expect(SessionTimers.offerOf(invite(['Session-Expires: 90', 'Supported: timer']), d).current).to.equal('uas');
      timers.disarm(d);
    });

    it('computes the refresh and expiry points of §10', () => {
      expect(refreshDelayMs(90)).to.equal(45_000);
      expect(expiryDelayMs(90)).to.equal(60_000);
      expect(expiryDelayMs(1800)).to.equal(1_768_000);
      expect(expiryDelayMs(120)).to.equal(88_000);
    });
  });

  describe('SessionTimers on a stepped clock', () => {
    it('refreshes at half the interval when we refresh', () => {
      const clock = new ManualClock();
      const fired: string[] = [];
      const timers = new SessionTimers({ clock }, { refresh: () => fired.push('refresh'), expire: () => fired.push('expire') });
      const d = dialog();
      timers.arm(d, 90, true);
      clock.advance(44_999);
      expect(fired).to.deep.equal([]);
      clock.advance(1);
      expect(fired).to.deep.equal(['refresh']);
      expect(clock.pending).to.equal(0);
      timers.disarm(d);
    });

    it('expires at interval − min(32, interval/3) when the peer refreshes; re-arming restarts it', () => {
      const clock = new ManualClock();
      const fired: string[] = [];
      const timers = new SessionTimers({ clock }, { refresh: () => fired.push('refresh'), expire: () => fired.push('expire') });
      const d = dialog();
      timers.arm(d, 90, false);
      clock.advance(50_000);
      timers.arm(d, 90, false); // a refresh came
      clock.advance(59_999);
      expect(fired).to.deep.equal([]);
      clock.advance(1);
      expect(fired).to.deep.equal(['expire']);
    });

    it('a removed dialog leaves no timer (DialogStore onRemove → disarm)', () => {
      const clock = new ManualClock();
      const fired: string[] = [];
      const timers = new SessionTimers({ clock }, { refresh: () => fired.push('refresh'), expire: () => fired.push('expire') });
      const store = new DialogStore({ onRemove: (x) => timers.disarm(x) });
      const d = dialog();
      store.put(d);
      timers.arm(d, 1800, true);
      expect(clock.pending).to.equal(1);
      store.remove(d);
      expect(clock.pending).to.equal(0);
      expect(d.sessionTimer).to.equal(undefined);
      const d2 = dialog('c2;from-tag=a');
      store.put(d2);
      timers.arm(d2, 90, false);
      store.clear();
      expect(clock.pending).to.equal(0);
      clock.advance(10_000_000);
      expect(fired).to.deep.equal([]);
    });

    it('raises a configured Min-SE below 90 to 90 and runs no timer for absurd intervals', () => {
      const clock = new ManualClock();
      const timers = new SessionTimers({ clock, minSE: 30 }, { refresh: () => undefined, expire: () => undefined });
      expect(timers.policy).to.deep.equal({ minSE: 90, defaultRefresher: 'uac' });
      const d = dialog();
      timers.arm(d, 4_000_000_000, true);
      expect(clock.pending).to.equal(0);
      expect(d.sessionTimer).to.equal(undefined);
    });

    it('uses the larger of our Min-SE and the peer\'s in refreshes', () => {
      const clock = new ManualClock();
      const timers = new SessionTimers({ clock, minSE: 120 }, { refresh: () => undefined, expire: () => undefined });
      const d = dialog();
      timers.arm(d, 1800, true, 600);
      expect(d.sessionTimer?.minSE).to.equal(600);
      timers.arm(d, 1800, true);
      expect(d.sessionTimer?.minSE).to.equal(120);
      timers.disarm(d);
      timers.disarm(d);
      expect(clock.pending).to.equal(0);
    });
  });
});
