import { SipRequest, SipResponse, createResponse, parseMessage } from '../../../src/sip/index.js';

// Requests and responses for the transaction-layer tests, parsed from text as the transport
// layer would hand them over.

let seq = 0;

/** A parsed request with a fresh branch (unless given) from alice to bob over UDP. */
export function testRequest(method: string, opts: { branch?: string; toTag?: string; cseq?: number; callId?: string } = {}): SipRequest {
  seq++;
  const text = [
    `${method} sip:bob@127.0.0.1:5070 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=${opts.branch ?? `z9hG4bKtest${seq}`};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=ftag',
    `To: <sip:bob@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? 'call-1@test'}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** A parsed response to `req` with To tag `toTag`. */
export function testReply(req: SipRequest, status: number, toTag = 'ttag'): SipResponse {
  return parseMessage(createResponse(req, status, { toTag }).serialize()) as SipResponse;
}
