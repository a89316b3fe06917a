import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SipRequest, SipStack, type Dialog, type SipResponse } from '../../../src/sip/index.js';

/** Runs sipp and resolves with its exit code and whatever error log it left. */
function sipp(args: string[], cwd: string): Promise<{ code: number | null; errors: string }> {
  return new Promise((resolve) => {
    const p = spawn('sipp', [...args, '-nostdin', '-trace_err'], { cwd, stdio: 'ignore' });
    p.on('error', (err) => resolve({ code: -1, errors: `cannot run sipp: ${err.message}` }));
    p.on('exit', (code) => {
      const logs = readdirSync(cwd).filter((f) => f.endsWith('_errors.log'));
      resolve({ code, errors: logs.map((f) => readFileSync(path.join(cwd, f), 'utf8')).join('\n') });
    });
  });
}

const localPort = () => 20000 + Math.floor(Math.random() * 20000);

describe('SipStack against SIPp (real peer, loopback)', function () {
  this.timeout(60000);
  let dir: string;
  let stack: SipStack;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tandem-sipp-'));
    stack = new SipStack({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'] });
    await stack.start();
  });

  afterEach(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`sipp uac → stack (${transport}): 10 calls INVITE/180/200/ACK/BYE all succeed`, async () => {
      let acks = 0;
      let byes = 0;
      stack.on('request', (req, st) => {
        st.respond(stack.createResponse(req, 180));
        st.respond(stack.createResponse(req, 200, { headers: [['Content-Type', 'application/sdp']], body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n' }));
      });
      stack.on('ack', () => { acks++; });
      stack.on('inDialogRequest', (req, st, dialog) => {
        if (req.method === 'BYE' && dialog) byes++;
        st.respond(stack.createResponse(req, 200));
      });
      const port = stack.listeningPoints().find((l) => l.transport === transport)!.port;
      const res = await sipp([`127.0.0.1:${port}`, '-sn', 'uac', '-m', '10', '-r', '20', '-l', '10', '-i', '127.0.0.1', '-p', String(localPort()),
        '-t', transport === 'udp' ? 'u1' : 't1', '-d', '100', '-timeout', '30s', '-timeout_error'], dir);
      expect(res.code, res.errors).to.equal(0);
      expect(acks).to.equal(10);
      expect(byes).to.equal(10);
      expect(stack.stats().dialogs).to.equal(0);
    });
  }

  it('stack → sipp uas (udp): INVITE, 180, 200, ACK via the dialog, BYE', async () => {
    const p = localPort();
    const run = sipp(['-sn', 'uas', '-m', '1', '-i', '127.0.0.1', '-p', String(p), '-timeout', '30s', '-timeout_error'], dir);
    await new Promise((r) => setTimeout(r, 500)); // let sipp bind
    const inv = new SipRequest('INVITE', `sip:service@127.0.0.1:${p}`);
    inv.add('From', '<sip:tandem@127.0.0.1>');
    inv.add('Content-Type', 'application/sdp');
    inv.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n');
    const ct = await stack.sendRequest(inv);
    const statuses: number[] = [];
    const final = await new Promise<SipResponse>((resolve) => ct.on('response', (r) => { statuses.push(r.status); if (r.status >= 200) resolve(r); }));
    expect(final.status).to.equal(200);
    expect(statuses).to.include(180);
    const dialog = stack.dialog(`${inv.callId}|${inv.from().tag}|${final.to().tag}`) as Dialog;
    expect(dialog.state).to.equal('confirmed');
    await stack.sendInDialog(dialog, 'ACK');
    await new Promise((r) => setTimeout(r, 200));
    const bye = await stack.sendInDialog(dialog, 'BYE');
    const byeRes = await new Promise<SipResponse>((resolve) => (bye as import('../../../src/sip/index.js').ClientTransaction).on('response', resolve));
    expect(byeRes.status).to.equal(200);
    const res = await run;
    expect(res.code, res.errors).to.equal(0);
  });
});
