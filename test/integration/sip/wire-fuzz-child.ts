/**
 * Child process of wire-fuzz.test.ts: runs a SipStack on loopback (inside its own network
 * namespace when the parent could make one) and throws N mutated and valid messages at
 * it over UDP, TCP and WS. Prints one JSON line with the results. Run with --expose-gc.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { SipStack, type SipRequest, type ServerTransaction } from '../../../src/sip/index.js';
import { loadCorpus, mutate, rng } from '../../unit/sip/fuzz-mutate.js';

const total = Number(process.argv[2] ?? 100000);
const r = rng(20260);
const corpus = loadCorpus();
const gc = (globalThis as { gc?: () => void }).gc;

function template(i: number, transport: string): Buffer {
  const method = ['OPTIONS', 'INVITE', 'REGISTER', 'MESSAGE', 'BYE', 'ACK', 'CANCEL'][i % 7];
  const inDialog = method === 'BYE' || method === 'ACK';
  return Buffer.from([
    `${method} sip:fuzz@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:9;branch=z9hG4bKf${i}x${Math.floor(r() * 1e9)};rport`,
    'Max-Forwards: 70',
    `From: <sip:a@example.com>;tag=f${i}`,
    `To: <sip:fuzz@127.0.0.1>${inDialog ? ';tag=t1' : ''}`,
    `Call-ID: fuzz-${i}`,
    `CSeq: ${1 + (i % 1000)} ${method}`,
    'Content-Length: 0', '', '',
  ].join('\r\n'));
}

function nextMessage(i: number, transport: string): Buffer {
  const x = r();
  if (x < 0.3) return template(i, transport);
  const seed = x < 0.6 ? template(i, transport) : corpus[Math.floor(r() * corpus.length)];
  return mutate(seed, r);
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const stack = new SipStack({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'ws:127.0.0.1:0'],
    timers: { t1: 10, t2: 40, t4: 50, timerD: 50 },
    byeOnAckTimeout: false,
    // the gateway's default (sip.packetIo: native): fuzz the UDP path that production uses
    udpIo: 'native',
  });
  await stack.start();
  const answer = (req: SipRequest, st: ServerTransaction): void => {
    try {
      st.respond(stack.createResponse(req, req.method === 'INVITE' ? 486 : 200));
    } catch {
      // already answered (CANCEL → 487): fine
    }
  };
  stack.on('request', answer);
  stack.on('inDialogRequest', (req, st) => answer(req, st));
  const lps = stack.listeningPoints();
  const port = (t: string) => lps.find((l) => l.transport === t)!.port;

  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  udp.on('message', () => {});

  const tcpSocks: Socket[] = [];
  const openTcp = async (): Promise<Socket> => {
    const s = connect(port('tcp'), '127.0.0.1');
    s.on('data', () => {});
    s.on('error', () => {});
    await new Promise<void>((resolve) => { s.once('connect', () => resolve()); s.once('close', () => resolve()); });
    return s;
  };
  const wsSocks: WebSocket[] = [];
  const openWs = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port('ws')}`, ['sip']);
    ws.on('message', () => {});
    ws.on('error', () => {});
    await new Promise<void>((resolve) => { ws.once('open', () => resolve()); ws.once('close', () => resolve()); });
    return ws;
  };
  for (let i = 0; i < 4; i++) {
    tcpSocks.push(await openTcp());
    wsSocks.push(await openWs());
  }

  let sent = 0;
  let reconnects = 0;
  const sendOne = async (i: number): Promise<void> => {
    const kind = i % 10;
    if (kind < 6) {
      const msg = nextMessage(i, 'UDP');
      if (msg.length < 65000) udp.send(msg, port('udp'), '127.0.0.1');
    } else if (kind < 8) {
      const k = i % tcpSocks.length;
      if (tcpSocks[k].destroyed) {
        tcpSocks[k] = await openTcp();
        reconnects++;
      }
      tcpSocks[k].write(nextMessage(i, 'TCP'));
    } else {
      const k = i % wsSocks.length;
      if (wsSocks[k].readyState !== WebSocket.OPEN) {
        wsSocks[k] = await openWs();
        reconnects++;
      }
      if (wsSocks[k].readyState === WebSocket.OPEN) wsSocks[k].send(nextMessage(i, 'WS'));
    }
    sent++;
  };

  const warmup = Math.min(5000, Math.floor(total / 10));
  for (let i = 0; i < warmup; i++) {
    await sendOne(i);
    if (i % 50 === 0) await sleep(1);
  }
  await sleep(1500);
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = warmup; i < total; i++) {
    await sendOne(i);
    if (i % 50 === 0) await sleep(1);
    else if (i % 10 === 0) await tick();
  }
  // let every transaction time out (64*T1 = 640 ms here) and close the clients
  for (const s of tcpSocks) s.destroy();
  for (const w of wsSocks) w.terminate();
  udp.close();
  let stats = stack.stats();
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    stats = stack.stats();
    const conns = stats.transports.tcp.connections + stats.transports.ws.connections;
    if (stats.transactions.clients + stats.transactions.servers + stats.pending2xx + conns === 0) break;
  }
  gc?.();
  await sleep(50);
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  await stack.close();
  process.stdout.write(JSON.stringify({ sent, reconnects, heapBefore, heapAfter, gc: gc !== undefined, udpIo: stack.transport.udpIo, stats }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`wire fuzz child failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
