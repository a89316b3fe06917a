// Runs inside `unshare -n` with a veth 127.0.0.2 (started by baresip-ice.test.ts):
// two baresip phones with ICE + DTLS-SRTP + Opus (the WebRTC-like profile) call each other.
import { startBaresip, stopAllBaresip } from '../../helpers/baresip.js';
import { emitResult, inNetns } from '../../helpers/netns.js';
import { toneDominates } from '../../helpers/tone.js';

const common = { ip: '127.0.0.2', codecs: 'opus', mediaenc: 'dtls_srtp', accountParams: ['medianat=ice'] };
try {
  const alice = await startBaresip({ ...common, user: 'alice', toneHz: 1000 });
  const bob = await startBaresip({ ...common, user: 'bob', toneHz: 440 });
  await alice.dial(bob.uri);
  await alice.waitForEvent('CALL_ESTABLISHED', 10000);
  await bob.waitForEvent('CALL_ESTABLISHED', 10000);
  await new Promise((r) => setTimeout(r, 2500));
  await alice.hangup();
  await bob.waitForEvent('CALL_CLOSED', 5000);
  await alice.stop();
  await bob.stop();
  const heardByAlice = alice.readRecording('dec');
  const heardByBob = bob.readRecording('dec');
  emitResult({
    inNetns: inNetns(),
    iceConnected: /connectivity check is complete/.test(alice.proc.stdout) && /connectivity check is complete/.test(bob.proc.stdout),
    dtls: /DTLS-SRTP complete/.test(alice.proc.stdout) && /DTLS-SRTP complete/.test(bob.proc.stdout),
    codecs: [alice.audioCodecs(), bob.audioCodecs()],
    alice440: toneDominates(heardByAlice.samples, heardByAlice.rate, 440, { candidates: [1000] }).fraction,
    bob1000: toneDominates(heardByBob.samples, heardByBob.rate, 1000, { candidates: [440] }).fraction,
  });
} catch (err) {
  emitResult({ error: String(err) });
} finally {
  await stopAllBaresip();
}
