import { expect } from 'chai';
import { flowKey, flowOf } from '../../../src/app/signaling/flow.js';
import { parseNameAddr, parseSipUri, splitHeaderList } from '../../../src/app/signaling/header-values.js';

describe('app/signaling: header values and flows', () => {
  it('splits Contact lists outside quotes and angle brackets', () => {
    expect(splitHeaderList('<sip:a@h;x=1,2>;expires=5, "B, C" <sip:b@h>, sip:c@h;q=0.5')).to.deep.equal(['<sip:a@h;x=1,2>;expires=5', '"B, C" <sip:b@h>', 'sip:c@h;q=0.5']);
  });

  it('parses name-addr and addr-spec with header parameters (RFC 3261 §20.10)', () => {
    expect(parseNameAddr('"Alice" <sip:alice@h;transport=ws>;expires=60;+sip.instance="<urn:uuid:1>"')).to.deep.equal({
      display: 'Alice', uri: 'sip:alice@h;transport=ws', params: { expires: '60', '+sip.instance': '<urn:uuid:1>' },
    });
    expect(parseNameAddr('sip:bob@h;expires=0')).to.deep.equal({ uri: 'sip:bob@h', params: { expires: '0' } });
    for (const bad of ['', '<sip:a@h', 'not a uri', '<sip:a@h> junk', '<sip:a@h>;bad param=1']) expect(parseNameAddr(bad), bad).to.equal(null);
  });

  it('parses SIP URIs', () => {
    expect(parseSipUri('sip:Alice@Example.COM:5070;transport=tcp')).to.deep.equal({ scheme: 'sip', user: 'Alice', host: 'example.com', port: 5070, params: { transport: 'tcp' } });
    expect(parseSipUri('sips:[2001:db8::1]')).to.deep.equal({ scheme: 'sips', host: '[2001:db8::1]', params: {} });
    expect(parseSipUri('sip:%2B4420@h')?.user).to.equal('+4420');
    expect(parseSipUri('tel:+4420')).to.equal(null);
  });

  it('names a connection flow from drachtio meta, and none for UDP', () => {
    expect(flowOf({ protocol: 'ws', source_address: '198.51.100.7', source_port: '51000' })).to.equal('ws:198.51.100.7:51000');
    expect(flowOf({ protocol: 'TCP', source_address: '2001:db8::1', source_port: 5060 })).to.equal('tcp:[2001:db8::1]:5060');
    expect(flowOf({ protocol: 'udp', source_address: '198.51.100.7', source_port: 5060 })).to.equal(undefined);
    expect(flowKey('wss', '::1', 443)).to.equal('wss:[::1]:443');
  });
});

describe('app/signaling: TransportFlowMonitor', () => {
  it('maps transport connection ids to app flow keys and reports closed ones once', async () => {
    const { EventEmitter } = await import('node:events');
    const { TransportFlowMonitor } = await import('../../../src/app/signaling/transport-flow-monitor.js');
    const ee = new EventEmitter();
    const m = new TransportFlowMonitor(ee as never);
    const closed: string[] = [];
    const off = m.onFlowClosed((f) => closed.push(f));
    ee.emit('message', {}, { transport: 'ws', flowId: 'c7', remoteAddress: '198.51.100.7', remotePort: 51000 });
    ee.emit('message', {}, { transport: 'ws', flowId: 'c7', remoteAddress: '198.51.100.7', remotePort: 51000 });
    ee.emit('message', {}, { transport: 'udp', flowId: 'udp|5060|1.2.3.4|5060', remoteAddress: '1.2.3.4', remotePort: 5060 });
    expect(m.size).to.equal(1);
    ee.emit('connectionClosed', 'c7');
    ee.emit('connectionClosed', 'c7');
    ee.emit('connectionClosed', 'unknown');
    expect(closed).to.deep.equal(['ws:198.51.100.7:51000']);
    expect(m.size).to.equal(0);
    off();
    ee.emit('message', {}, { transport: 'tcp', flowId: 'c8', remoteAddress: '::1', remotePort: 5 });
    ee.emit('connectionClosed', 'c8');
    expect(closed).to.have.length(1);
  });
});
