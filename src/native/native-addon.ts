import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Counters of a native pump (src/native/udp-pump.c). */
export interface UdpPumpStats {
  sockets: number;
  rxPackets: number;
  rxBatches: number;
  rxWakeups: number;
  /** Datagrams larger than a receive slot (dropped). */
  rxOversized: number;
  /** Datagrams with a non-IPv4 source (dropped). */
  rxBadSource: number;
  rxErrors: number;
  txPackets: number;
  /** sendto/sendmmsg calls. */
  txCalls: number;
  /** Datagrams the kernel refused (buffer full, no route…). */
  txErrors: number;
  /** Staged datagrams with a bad socket id, port, offset or length (dropped). */
  txInvalid: number;
  /** Exceptions thrown by the batch callback (caught, counted). */
  callbackErrors: number;
  closed: boolean;
}

/** The native pump object (one per JS environment, see UdpPump). */
export interface NativePump {
  readonly rxBuffer: ArrayBuffer;
  readonly rxMeta: ArrayBuffer;
  readonly txBuffer: ArrayBuffer;
  readonly txMeta: ArrayBuffer;
  /** Opens and binds an IPv4 UDP socket; returns its id. Throws an Error whose `code` is the errno name. */
  open(address: number, port: number, recvBufferSize: number, sendBufferSize: number): number;
  localPort(id: number): number;
  closeSocket(id: number): void;
  /** Sends the first `count` staged datagrams; returns how many the kernel took. */
  send(count: number): number;
  stats(): UdpPumpStats;
  close(): void;
}

export interface NativePumpOptions {
  /** Receive slots (datagrams per batch). */
  slots?: number;
  /** Bytes per receive slot; larger datagrams are counted in rxOversized and dropped. */
  slotSize?: number;
  /** Transmit staging buffer, bytes. */
  txBytes?: number;
  /** Datagrams per transmit batch. */
  txSlots?: number;
  maxSockets?: number;
}

export interface UdpPumpAddon {
  /** Ints per packet in rxMeta/txMeta: socket id, IPv4 (host order), port, offset, length. */
  readonly META_STRIDE: number;
  createPump(onBatch: (count: number) => void, opts?: NativePumpOptions): NativePump;
}

/** File name node-gyp gives the addon (binding.gyp target_name). */
export const UDP_PUMP_ADDON_FILE = 'tandem_udp_pump.node';
/** Environment variable naming the addon file explicitly (not TANDEM_*: those are config overrides). */
export const UDP_PUMP_ADDON_ENV = 'UDP_PUMP_ADDON_PATH';

let loaded: { addon: UdpPumpAddon | null; error: string | null; path: string | null } | null = null;

/**
 * Where the built addon is: $UDP_PUMP_ADDON_PATH, else
 * `src/native/build/Release/tandem_udp_pump.node` under the first
 * ancestor of this module's folder that has it (the compiled module lives in
 * dist/… or .build/NAME/…, the addon in the source tree).
 */
export function udpPumpAddonPath(): string | null {
  const env = process.env[UDP_PUMP_ADDON_ENV];
  if (env) return env;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = path.join(dir, 'src', 'native', 'build', 'Release', UDP_PUMP_ADDON_FILE);
    if (existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * Loads the native UDP pump once per JS environment (each worker thread loads
 * it for itself; Node-API modules are per environment). Returns the addon, or
 * null with the reason in `udpPumpLoadError()`.
 */
export function loadUdpPumpAddon(): UdpPumpAddon | null {
  if (loaded) return loaded.addon;
  const p = udpPumpAddonPath();
  if (process.platform !== 'linux') {
    loaded = { addon: null, error: `native packet I/O needs Linux (recvmmsg/epoll), not ${process.platform}`, path: p };
  } else if (!p) {
    loaded = { addon: null, error: `${UDP_PUMP_ADDON_FILE} not built (scripts/bootstrap.sh builds src/native)`, path: null };
  } else {
    try {
      const req = createRequire(import.meta.url);
      const addon = req(p) as UdpPumpAddon;
      if (typeof addon.createPump !== 'function' || addon.META_STRIDE !== 5) throw new Error('unexpected addon exports');
      loaded = { addon, error: null, path: p };
    } catch (e) {
      loaded = { addon: null, error: e instanceof Error ? e.message : String(e), path: p };
    }
  }
  return loaded.addon;
}

/** Why the addon did not load (null when it did or was not tried). */
export function udpPumpLoadError(): string | null {
  return loaded?.error ?? null;
}
