// Runs inside `unshare -n` (started by netns.test.ts): reports interfaces and a UDP round trip.
import dgram from 'node:dgram';
import os from 'node:os';
import { emitResult, inNetns } from '../../helpers/netns.js';

async function udpRoundTrip(host: string): Promise<boolean> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => a.bind(0, host, () => r()));
    await new Promise<void>((r) => b.bind(0, host, () => r()));
    b.on('message', (msg, rinfo) => b.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    let timer: NodeJS.Timeout | undefined;
    const got = new Promise<string>((resolve, reject) => {
      a.once('message', (m) => resolve(m.toString()));
      timer = setTimeout(() => reject(new Error('timeout')), 2000);
    });
    a.send('ping', b.address().port, host);
    const answer = await got;
    clearTimeout(timer);
    return answer === 'echo:ping';
  } catch {
    return false;
  } finally {
    a.close();
    b.close();
  }
}

const interfaces = os.networkInterfaces();
const addrs = Object.values(interfaces).flatMap((list) => (list ?? []).filter((i) => i.family === 'IPv4').map((i) => i.address));
emitResult({
  inNetns: inNetns(),
  interfaces: Object.keys(interfaces).sort(),
  ipv4: addrs.sort(),
  udpLoopback: await udpRoundTrip('127.0.0.1'),
  udpVeth: addrs.includes('127.0.0.2') ? await udpRoundTrip('127.0.0.2') : null,
});
