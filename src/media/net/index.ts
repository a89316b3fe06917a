export { PacketKind, classifyPacket } from './demux.js';
export { PortPool, PortPoolExhaustedError, type PortPoolOptions } from './port-pool.js';
export { UdpEndpoint, UdpBindError, type UdpHandler, type UdpEndpointOptions } from './udp-endpoint.js';
export { configurePacketIo, packetIo, type PacketIoMode, type PacketIoSelection } from './packet-io.js';
export { UdpPump, type PumpReceiver } from '../../native/udp-pump.js';
export { loadUdpPumpAddon, udpPumpLoadError, type UdpPumpStats } from '../../native/native-addon.js';
