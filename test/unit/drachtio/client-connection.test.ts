import type { Socket } from 'node:net';
import { expect } from 'chai';
import { ClientConnection } from '../../../src/drachtio/client-connection.js';
import { FrameDecoder } from '../../../src/drachtio/framing.js';
import { silentLogger } from '../../../src/common/logger.js';

/** The part of a net.Socket that ClientConnection uses, recording what is written. */
class FakeSocket {
  destroyed = false;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly writes: string[] = [];
  ended = false;
  write(data: string): boolean {
    this.writes.push(data);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroySoon(): void {
    this.destroyed = true;
  }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function connection(): { conn: ClientConnection; sock: FakeSocket } {
  const sock = new FakeSocket();
  const conn = new ClientConnection(1, sock as unknown as Socket, silentLogger(), 1024 * 1024);
  return { conn, sock };
}

describe('drachtio ClientConnection: frames batched per event-loop turn', () => {
  it('writes the frames of one turn in one write, in order, after the turn', async () => {
    const { conn, sock } = connection();
    conn.send('a|response|x|OK');
    conn.send('b|sip|network|3|udp|1.2.3.4|5060|00:00:00.000000|t|d|\r\nBYE sip:ü SIP/2.0\r\n\r\n');
    conn.send('c|response|y|OK');
    expect(sock.writes).to.deep.equal([]);
    await nextTurn();
    expect(sock.writes).to.have.length(1);
    const frames = new FrameDecoder().push(Buffer.from(sock.writes[0], 'utf8'));
    expect(frames).to.deep.equal([
      'a|response|x|OK',
      'b|sip|network|3|udp|1.2.3.4|5060|00:00:00.000000|t|d|\r\nBYE sip:ü SIP/2.0\r\n\r\n',
      'c|response|y|OK',
    ]);
    conn.send('d|response|z|OK');
    await nextTurn();
    expect(sock.writes).to.have.length(2);
    expect(new FrameDecoder().push(Buffer.from(sock.writes[1], 'utf8'))).to.deep.equal(['d|response|z|OK']);
  });

  it('close() flushes what is queued before ending; later sends are dropped', async () => {
    const { conn, sock } = connection();
    conn.send('a|response|x|OK');
    conn.close('test');
    expect(sock.writes).to.deep.equal(['15#a|response|x|OK']);
    expect(sock.ended).to.equal(true);
    conn.send('b|response|y|OK');
    conn.close('again');
    await nextTurn();
    expect(sock.writes).to.have.length(1);
  });

  it('drops queued frames when the socket is destroyed before the flush', async () => {
    const { conn, sock } = connection();
    conn.send('a|response|x|OK');
    sock.destroyed = true;
    await nextTurn();
    expect(sock.writes).to.deep.equal([]);
  });
});
