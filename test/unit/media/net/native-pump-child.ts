// Child process for native-pump.test.ts: binds a native media socket, echoes one datagram,
// closes the socket and lets the process end by itself (the pump's poll handle is unref'd
// once no socket is open). argv[2]: URL of the compiled src/media/net/index.js.
const net = await import(process.argv[2]) as typeof import('../../../../src/media/net/index.js');
const ep = await net.UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io: 'native' });
ep.onMessage = (msg, addr, port) => {
  ep.send(msg, port, addr);
  ep.close();
  process.disconnect?.();
};
process.send?.({ port: ep.port, io: ep.io });
