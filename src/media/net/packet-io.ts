import { loadUdpPumpAddon, udpPumpLoadError } from '../../native/native-addon.js';

/**
 * How media sockets do packet I/O (config `media.packetIo`):
 * - `native`: the native UDP pump (src/native, recvmmsg/epoll batches,
 *   one JS callback per batch, batched sends) when its addon loads, else
 *   node:dgram (the fallback is reported by {@link configurePacketIo});
 * - `node`: node:dgram, one callback and one send per datagram.
 */
export type PacketIoMode = 'native' | 'node';

/** Outcome of {@link configurePacketIo}: what was asked, what is used, and why. */
export interface PacketIoSelection {
  requested: PacketIoMode;
  effective: PacketIoMode;
  /** Why `native` was not used (addon missing or failing to load); null otherwise. */
  fallbackReason: string | null;
}

let selection: PacketIoSelection | null = null;

/**
 * Chooses the packet I/O of this JS environment (a media worker calls it at
 * start with its config). `native` falls back to `node` when the addon does
 * not load. Sockets already bound keep their implementation.
 */
export function configurePacketIo(mode: PacketIoMode): PacketIoSelection {
  if (mode === 'node') {
    selection = { requested: mode, effective: 'node', fallbackReason: null };
  } else {
    const addon = loadUdpPumpAddon();
    selection = addon ? { requested: mode, effective: 'native', fallbackReason: null }
      : { requested: mode, effective: 'node', fallbackReason: udpPumpLoadError() ?? 'addon not loaded' };
  }
  return selection;
}

/**
 * The packet I/O in use. Until configured, `native` if the addon loads (the
 * default of `media.packetIo`), else `node`.
 */
export function packetIo(): PacketIoSelection {
  return selection ?? configurePacketIo('native');
}
