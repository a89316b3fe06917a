export { PacketKind, classifyPacket } from './demux.js';
export { PortPool, PortPoolExhaustedError, type PortPoolOptions } from './port-pool.js';
export { UdpEndpoint, UdpBindError, type UdpHandler, type UdpEndpointOptions } from './udp-endpoint.js';
