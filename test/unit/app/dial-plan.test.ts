import { expect } from 'chai';
import { DialPlan, normalizeE164 } from '../../../src/app/routing/dial-plan.js';

const plan = new DialPlan({
  countryCode: '44', nationalPrefix: '0', internationalPrefix: '00',
  rules: [
    { name: 'local users', from: ['user'], match: '[a-z][a-z0-9._-]*', to: { user: '$user' } },
    { name: 'extensions', from: ['user'], match: '1[0-9]{3}', to: { endpoint: 'desk-$user' } },
    { name: 'emergency', from: ['user'], match: '999|112', to: { trunk: 'pstn' } },
    { name: 'outbound E.164', from: ['user'], match: '\\+[1-9][0-9]{6,14}', to: { trunk: 'pstn' } },
    { name: 'DID sales', from: ['trunk'], match: '\\+442071234567', to: { group: 'sales' } },
    { name: 'DID direct', from: ['trunk'], match: '\\+4420712345(6[89])', strip: 0, to: { user: 'alice' } },
    { name: 'strip 9', from: ['user'], match: '9[0-9]{4,}', strip: 1, prepend: '+1', to: { trunk: 'us' } },
  ],
});

describe('app/routing: dial plan', () => {
  it('normalizes national and international numbers to E.164', () => {
    const o = { countryCode: '44', nationalPrefix: '0', internationalPrefix: '00' };
    expect(normalizeE164('02071234567', o)).to.equal('+442071234567');
    expect(normalizeE164('0033 1 23 45 67 89', o)).to.equal('+33123456789');
    expect(normalizeE164('+1 (555) 123-4567', o)).to.equal('+15551234567');
    expect(normalizeE164('alice', o)).to.equal('alice');
  });

  it('routes users, extensions and trunk numbers in rule order', () => {
    expect(plan.route('alice', 'user')).to.deep.equal({ ok: true, rule: 'local users', target: { kind: 'user', user: 'alice' } });
    expect(plan.route('1001', 'user')).to.deep.equal({ ok: true, rule: 'extensions', target: { kind: 'endpoint', name: 'desk-1001' } });
    expect(plan.route('02071234567', 'user')).to.deep.equal({ ok: true, rule: 'outbound E.164', target: { kind: 'trunk', trunk: 'pstn', number: '+442071234567' } });
    expect(plan.route('999', 'user')).to.deep.include({ ok: true, rule: 'emergency' });
    expect(plan.route('915551234', 'user')).to.deep.equal({ ok: true, rule: 'strip 9', target: { kind: 'trunk', trunk: 'us', number: '+115551234' } });
  });

  it('routes inbound DIDs from trunks to groups and users', () => {
    expect(plan.route('+442071234567', 'trunk')).to.deep.equal({ ok: true, rule: 'DID sales', target: { kind: 'group', group: 'sales' } });
    expect(plan.route('+442071234568', 'trunk')).to.deep.include({ ok: true, rule: 'DID direct' });
  });

  it('denies by default: a trunk cannot reach users or trunks without a rule, garbage is invalid', () => {
    expect(plan.route('alice', 'trunk')).to.deep.equal({ ok: false, reason: 'no-match' });
    expect(plan.route('+15551234567', 'trunk')).to.deep.equal({ ok: false, reason: 'no-match' });
    expect(plan.route('', 'user')).to.deep.equal({ ok: false, reason: 'invalid' });
    expect(plan.route('a'.repeat(65), 'user')).to.deep.equal({ ok: false, reason: 'invalid' });
    expect(plan.route('x;y=z', 'user')).to.deep.equal({ ok: false, reason: 'invalid' });
  });

  it('a bad rule regex is reported with its index and name', () => {
    expect(() => new DialPlan({ rules: [{ name: 'broken', from: ['user'], match: '(', to: { user: 'x' } }] })).to.throw(/rules\[0\] \(broken\)/);
  });
});
