import { expect } from 'chai';
import { MemoryRegistrarStore, type Binding } from '../../../src/app/registrar/registrar-store.js';

const b = (over: Partial<Binding>): Binding => ({ aor: 'sip:alice@t', contact: 'sip:alice@1.2.3.4:5060', expiresAt: 2000, callId: 'c', cseq: 1, ...over });

describe('app/registrar: memory store', () => {
  it('holds several contacts per AOR, ordered by q, and drops expired ones from lookups', async () => {
    const s = new MemoryRegistrarStore(() => 1000);
    await s.put(b({ contact: 'sip:a@1', q: 0.5 }));
    await s.put(b({ contact: 'sip:a@2', q: 1 }));
    await s.put(b({ contact: 'sip:a@3', expiresAt: 900 }));
    expect((await s.lookup('sip:alice@t')).map((x) => x.contact)).to.deep.equal(['sip:a@2', 'sip:a@1']);
    expect(await s.purgeExpired()).to.equal(1);
    expect(await s.size()).to.equal(2);
  });

  it('a refresh replaces the same contact', async () => {
    const s = new MemoryRegistrarStore(() => 1000);
    await s.put(b({ cseq: 1 }));
    await s.put(b({ cseq: 2, expiresAt: 5000 }));
    const l = await s.lookup('sip:alice@t');
    expect(l).to.have.length(1);
    expect(l[0].cseq).to.equal(2);
  });

  it('removes every binding of a closed WebSocket flow, and only those', async () => {
    const s = new MemoryRegistrarStore(() => 1000);
    await s.put(b({ contact: 'sip:x@a.invalid;transport=ws', flowId: 'ws-1' }));
    await s.put(b({ aor: 'sip:bob@t', contact: 'sip:y@b.invalid;transport=ws', flowId: 'ws-1' }));
    await s.put(b({ contact: 'sip:alice@desk', flowId: 'ws-2' }));
    const removed = await s.removeByFlow('ws-1');
    expect(removed.map((r) => r.aor).sort()).to.deep.equal(['sip:alice@t', 'sip:bob@t']);
    expect((await s.lookup('sip:alice@t')).map((x) => x.contact)).to.deep.equal(['sip:alice@desk']);
    expect(await s.lookup('sip:bob@t')).to.deep.equal([]);
    expect(await s.removeByFlow('ws-1')).to.deep.equal([]);
  });

  it('a contact re-registered on another flow leaves the old flow index', async () => {
    const s = new MemoryRegistrarStore(() => 1000);
    await s.put(b({ flowId: 'f1' }));
    await s.put(b({ flowId: 'f2' }));
    expect(await s.removeByFlow('f1')).to.deep.equal([]);
    expect(await s.size()).to.equal(1);
  });

  it('removeAll clears an AOR', async () => {
    const s = new MemoryRegistrarStore(() => 1000);
    await s.put(b({ contact: 'sip:1' }));
    await s.put(b({ contact: 'sip:2', flowId: 'f' }));
    await s.removeAll('sip:alice@t');
    expect(await s.size()).to.equal(0);
    expect(await s.removeByFlow('f')).to.deep.equal([]);
  });
});
