import { expect } from 'chai';
import { loadConfig, ConfigError } from '../../../src/config/load-config.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err, 'expected a ConfigError').to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config: media.srtpProfiles (DTLS-SRTP profiles, RFC 5764 / RFC 7714)', () => {
  it('defaults to AEAD_AES_128_GCM then AES_CM_128_HMAC_SHA1_80', () => {
    expect(loadConfig({ env: {}, useDefaultFile: false }).media.srtpProfiles).to.deep.equal(['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80']);
  });

  it('takes an order or a single profile, from a file or the environment', () => {
    const c = loadConfig({ env: {}, useDefaultFile: false, overrides: { media: { srtpProfiles: ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] } } });
    expect(c.media.srtpProfiles).to.deep.equal(['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM']);
    const e = loadConfig({ env: { TANDEM_MEDIA_SRTP_PROFILES: 'AES_CM_128_HMAC_SHA1_80' }, useDefaultFile: false });
    expect(e.media.srtpProfiles).to.deep.equal(['AES_CM_128_HMAC_SHA1_80']);
  });

  it('rejects an empty list, unknown names and duplicates, naming the key', () => {
    for (const [value, fragment] of [
      [[], 'at least 1'],
      [['AES_CM_128_HMAC_SHA1_32'], 'AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM'],
      [['AEAD_AES_256_GCM'], 'AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM'],
      [['AEAD_AES_128_GCM', 'AEAD_AES_128_GCM'], 'item 1 duplicates item 0'],
    ] as Array<[string[], string]>) {
      const err = configError(() => loadConfig({ env: {}, useDefaultFile: false, overrides: { media: { srtpProfiles: value } } }));
      expect(err.data.key, JSON.stringify(value)).to.equal('media.srtpProfiles');
      expect(err.message).to.contain('media.srtpProfiles').and.to.contain(fragment);
    }
  });
});
