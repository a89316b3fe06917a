/**
 * Free ports for tests: bind port 0, read the port the kernel chose, close.
 * There is a small race between close and reuse; allocating all ports a test
 * needs up front (and from different ranges of the ephemeral space) keeps it
 * negligible on a test machine. {@link freeUdpPortPair} gives an even/odd pair
 * (RTP/RTCP) for peers that insist on it.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** A free UDP port on `host` (default 127.0.0.1). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, host, () => resolve());
    });
    return sock.address().port;
  } finally {
    sock.close();
  }
}

/** A free TCP port on `host` (default 127.0.0.1). */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return addr.port;
}

/** A port free for both UDP and TCP (SIP listens on both). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freeUdpPort(host);
    if (await canListenTcp(p, host)) return p;
  }
  throw new Error('no port free for both UDP and TCP');
}

/**
 * `count` distinct ports free for UDP and TCP, each `spacing` apart from the next
 * free one (baresip also takes SIP port + 1 for TLS: use spacing 2).
 */
export async function freePorts(count: number, options: { host?: string; spacing?: number } = {}): Promise<number[]> {
  const host = options.host ?? '127.0.0.1';
  const spacing = options.spacing ?? 1;
  const out: number[] = [];
  for (let tries = 0; out.length < count && tries < 200; tries++) {
    const p = await freePort(host);
    if (out.some((q) => Math.abs(q - p) < spacing)) continue;
    let ok = true;
    for (let k = 1; k < spacing && ok; k++) ok = (await canListenTcp(p + k, host)) && (await canBindUdp(p + k, host));
    if (ok) out.push(p);
  }
  if (out.length < count) throw new Error(`could not allocate ${count} ports`);
  return out;
}

/** An even UDP port whose successor is also free (RTP on even, RTCP on odd). */
export async function freeUdpPortPair(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const p = await freeUdpPort(host);
    const even = p % 2 === 0 ? p : p + 1;
    if (even + 1 < 65536 && (await canBindUdp(even, host)) && (await canBindUdp(even + 1, host))) return even;
  }
  throw new Error('no free UDP port pair');
}

/** True when a UDP socket can bind `port` right now. */
export async function canBindUdp(port: number, host = '127.0.0.1'): Promise<boolean> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      sock.close();
    } catch {
      // already closed after a bind error
    }
  }
}

/** True when a TCP server can listen on `port` right now. */
export async function canListenTcp(port: number, host = '127.0.0.1'): Promise<boolean> {
  const srv = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve());
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}

/** Resolves once a TCP connect to host:port succeeds; rejects after `timeoutMs` (default 5000). */
export async function waitForTcpPort(port: number, options: { host?: string; timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timeout waiting for TCP ${host}:${port}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/**
 * Resolves once something is bound to UDP host:port (a bind attempt fails with
 * EADDRINUSE); rejects after `timeoutMs` (default 5000). Only meaningful for
 * sockets bound to that exact address (or the wildcard).
 */
export async function waitForUdpPort(port: number, options: { host?: string; timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (await canBindUdp(port, host)) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for UDP ${host}:${port}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
