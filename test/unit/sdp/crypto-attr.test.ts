import { expect } from 'chai';
import {
  formatCryptoAttribute, makeCryptoAttribute, parseCryptoAttribute, parseCryptoKeyParam, SdpError,
} from '../../../src/sdp/index.js';

describe('sdp a=crypto (RFC 4568)', () => {
  it('parses the RFC 4568 §4 example with lifetime and MKI', () => {
    const c = parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4');
    expect(c).to.deep.equal({
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      keyParams: [{ keySalt: 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', lifetime: '2^20', mki: { value: 1, length: 4 } }],
      sessionParams: [],
    });
    expect(formatCryptoAttribute(c)).to.equal('1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4');
  });

  it('parses MKI without lifetime, a decimal lifetime, several keys and session parameters', () => {
    expect(parseCryptoKeyParam('inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:1').mki).to.deep.equal({ value: 1, length: 1 });
    expect(parseCryptoKeyParam('inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576').lifetime).to.equal('1048576');
    const c = parseCryptoAttribute(
      '2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 KDR=1 UNENCRYPTED_SRTCP',
    );
    expect(c.keyParams).to.have.length(2);
    expect(c.keyParams[1].mki).to.deep.equal({ value: 2, length: 4 });
    expect(c.sessionParams).to.deep.equal(['KDR=1', 'UNENCRYPTED_SRTCP']);
    expect(parseCryptoAttribute(formatCryptoAttribute(c))).to.deep.equal(c);
  });

  it('accepts unknown suites without checking key length (they are skipped in negotiation)', () => {
    const c = parseCryptoAttribute('1 AES_256_CM_HMAC_SHA1_80 inline:aaDhNIIUWBvm8236IbQ2Rw+ThP4uV8Gmc7vLgGx6w2y81xBdGI4OsU9xnubXeg==');
    expect(c.suite).to.equal('AES_256_CM_HMAC_SHA1_80');
  });

  for (const [label, text] of [
    ['missing key', '1 AES_CM_128_HMAC_SHA1_80'],
    ['non-inline method', '1 AES_CM_128_HMAC_SHA1_80 uri:http://x'],
    ['bad base64', '1 AES_CM_128_HMAC_SHA1_80 inline:$$$$'],
    ['short key for the suite', '1 AES_CM_128_HMAC_SHA1_80 inline:QUJD'],
    ['bad tag', 'x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'],
    ['tag too long', '1234567890 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'],
    ['bad MKI length', '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0'],
    ['junk after key', '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|junk'],
    ['two lifetimes', '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|2^20'],
    ['bad suite characters', '1 AES-CM;x inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'],
  ]) {
    it(`rejects ${label} with ERR_SDP_PARSE`, () => {
      expect(() => parseCryptoAttribute(text)).to.throw(SdpError).with.property('code', 'ERR_SDP_PARSE');
    });
  }

  it('makeCryptoAttribute takes the key as input and validates it', () => {
    const key = Buffer.alloc(30, 7).toString('base64');
    const c = makeCryptoAttribute({ tag: 3, suite: 'AES_CM_128_HMAC_SHA1_80', keySalt: key, lifetime: '2^31', mki: { value: 1, length: 1 } });
    expect(formatCryptoAttribute(c)).to.equal(`3 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31|1:1`);
    expect(() => makeCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keySalt: 'QUJD' }))
      .to.throw(SdpError).with.property('code', 'ERR_SDP_INVALID_OPTIONS');
  });
});
