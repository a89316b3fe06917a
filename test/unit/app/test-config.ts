/** A small app configuration shared by the app unit tests. */
import type { AppConfig } from '../../../src/app/app.js';

export const REALM = 'tandem.test';

export function appConfig(over: Partial<AppConfig> = {}): AppConfig {
  return {
    auth: { realm: REALM, digestAlgorithm: 'MD5', nonceTtlSeconds: 300, tokenSecret: 'a-token-secret-of-enough-length' },
    registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 },
    users: [
      { name: 'alice', password: 'wonderland', ha1: '', profile: '', contact: '' },
      { name: 'bob', password: 'builder', ha1: '', profile: 'deskphone', contact: '' },
      { name: 'lobby', password: '', ha1: '0123456789abcdef0123456789abcdef', profile: '', contact: 'sip:lobby@192.0.2.50:5060' },
      { name: 'vault', password: 'x', ha1: '', profile: 'g729-only', contact: 'sip:vault@192.0.2.51' },
    ],
    profiles: [
      { name: 'g729-only', media: 'avp', codecs: { allow: ['G729'], prefer: [] }, transcoding: 'prefer-passthrough', dtmf: 'rfc4733', ptime: 20, ice: 'full' },
      { name: 'secure', media: 'sdes', codecs: { allow: ['PCMA'], prefer: [] }, transcoding: 'prefer-passthrough', dtmf: 'both', ptime: 20, ice: 'full' },
    ],
    trunks: [{
      name: 'pstn', addresses: ['203.0.113.1:5060', '203.0.113.2'], transport: 'udp', profile: 'trunk', register: null, optionsPingSeconds: 0,
      callerId: { assert: true, trust: true, defaultNumber: '+442071234500' },
    }, {
      name: 'pbx', addresses: ['pbx.example.net'], transport: 'tcp', profile: 'secure', register: null, optionsPingSeconds: 0,
      callerId: { assert: false, trust: false, defaultNumber: '' },
    }],
    dialplan: {
      countryCode: '44', nationalPrefix: '0', internationalPrefix: '00',
      rules: [
        { name: 'sales', from: ['user', 'trunk'], match: 'sales', strip: 0, prepend: '', to: 'group:sales' },
        { name: 'local users', from: ['user'], match: '[a-z][a-z0-9._-]*', strip: 0, prepend: '', to: 'user:$user' },
        { name: 'outbound', from: ['user'], match: '\\+[1-9][0-9]{6,14}', strip: 0, prepend: '', to: 'trunk:pstn' },
        { name: 'pbx ext', from: ['user'], match: '7[0-9]{3}', strip: 0, prepend: '', to: 'trunk:pbx' },
        { name: 'DID alice', from: ['trunk'], match: '\\+442071234567', strip: 0, prepend: '', to: 'user:alice' },
        { name: 'DID lobby', from: ['trunk'], match: '\\+442071234568', strip: 0, prepend: '', to: 'endpoint:lobby' },
      ],
    },
    ...over,
  };
}
