import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** STUN magic cookie (RFC 8489 §5). */
export const STUN_MAGIC = 0x2112a442;
export const STUN_BINDING_REQUEST = 0x0001;
export const STUN_BINDING_SUCCESS = 0x0101;
export const STUN_BINDING_ERROR = 0x0111;
export const STUN_BINDING_INDICATION = 0x0011;

export const ATTR_USERNAME = 0x0006;
export const ATTR_MESSAGE_INTEGRITY = 0x0008;
export const ATTR_ERROR_CODE = 0x0009;
export const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
export const ATTR_PRIORITY = 0x0024;
export const ATTR_USE_CANDIDATE = 0x0025;
export const ATTR_FINGERPRINT = 0x8028;
export const ATTR_ICE_CONTROLLED = 0x8029;
export const ATTR_ICE_CONTROLLING = 0x802a;

const FINGERPRINT_XOR = 0x5354554e;

/** A decoded STUN message: type, transaction id and raw attribute values (views into the datagram). */
export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: Map<number, Buffer>;
  /** Offset of MESSAGE-INTEGRITY's header, or -1 when absent. */
  integrityOffset: number;
  raw: Buffer;
}

/** Quick check (RFC 7983 §7): first byte 0..3 and the magic cookie at offset 4. */
export function isStun(buf: Buffer): boolean {
  return buf.length >= 20 && buf[0] < 4 && buf.readUInt32BE(4) === STUN_MAGIC;
}

/**
 * Decode a STUN message (RFC 8489 §5, §14). Returns null on malformed input
 * (the caller counts a drop). FINGERPRINT, when present, is verified.
 */
export function decodeStun(buf: Buffer): StunMessage | null {
  if (!isStun(buf)) return null;
  const length = buf.readUInt16BE(2);
  if (length + 20 !== buf.length || (length & 3) !== 0) return null;
  const attributes = new Map<number, Buffer>();
  let integrityOffset = -1;
  let off = 20;
  while (off + 4 <= buf.length) {
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    if (off + 4 + len > buf.length) return null;
    if (type === ATTR_FINGERPRINT) {
      if (len !== 4) return null;
      const want = (crc32(buf.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0;
      if (buf.readUInt32BE(off + 4) !== want) return null;
    }
    if (type === ATTR_MESSAGE_INTEGRITY && integrityOffset < 0) integrityOffset = off;
    const beforeIntegrity = integrityOffset < 0 || integrityOffset === off;
    if (!attributes.has(type) && (beforeIntegrity || type === ATTR_FINGERPRINT)) {
      attributes.set(type, buf.subarray(off + 4, off + 4 + len));
    }
    off += 4 + ((len + 3) & ~3);
  }
  return { type: buf.readUInt16BE(0), transactionId: buf.subarray(8, 20), attributes, integrityOffset, raw: buf };
}

/**
 * Verify MESSAGE-INTEGRITY (RFC 8489 §14.5, short-term credentials: key = password).
 * The HMAC covers the message up to the attribute, with the header length adjusted
 * to end just after MESSAGE-INTEGRITY.
 */
export function verifyIntegrity(msg: StunMessage, password: string): boolean {
  const mi = msg.attributes.get(ATTR_MESSAGE_INTEGRITY);
  if (!mi || mi.length !== 20 || msg.integrityOffset < 0) return false;
  const head = Buffer.from(msg.raw.subarray(0, msg.integrityOffset));
  head.writeUInt16BE(msg.integrityOffset + 24 - 20, 2);
  const mac = createHmac('sha1', password).update(head).digest();
  return mac.equals(mi);
}

/** An attribute to encode. */
export interface StunAttr { type: number; value: Buffer }

/**
 * Encode a STUN message; appends MESSAGE-INTEGRITY when `password` is given and
 * always FINGERPRINT (RFC 8445 §7.1.1 requires both on connectivity checks).
 */
export function encodeStun(type: number, transactionId: Buffer, attrs: readonly StunAttr[], password?: string): Buffer {
  let bodyLen = 0;
  for (const a of attrs) bodyLen += 4 + ((a.value.length + 3) & ~3);
  const total = 20 + bodyLen + (password === undefined ? 0 : 24) + 8;
  const buf = Buffer.alloc(total);
  buf.writeUInt16BE(type, 0);
  buf.writeUInt32BE(STUN_MAGIC, 4);
  transactionId.copy(buf, 8, 0, 12);
  let off = 20;
  for (const a of attrs) {
    buf.writeUInt16BE(a.type, off);
    buf.writeUInt16BE(a.value.length, off + 2);
    a.value.copy(buf, off + 4);
    off += 4 + ((a.value.length + 3) & ~3);
  }
  if (password !== undefined) {
    buf.writeUInt16BE(off + 24 - 20, 2);
    const mac = createHmac('sha1', password).update(buf.subarray(0, off)).digest();
    buf.writeUInt16BE(ATTR_MESSAGE_INTEGRITY, off);
    buf.writeUInt16BE(20, off + 2);
    mac.copy(buf, off + 4);
    off += 24;
  }
  buf.writeUInt16BE(off + 8 - 20, 2);
  const fp = (crc32(buf.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0;
  buf.writeUInt16BE(ATTR_FINGERPRINT, off);
  buf.writeUInt16BE(4, off + 2);
  buf.writeUInt32BE(fp, off + 4);
  return buf;
}

/** XOR-MAPPED-ADDRESS value (RFC 8489 §14.2), IPv4 or IPv6. */
export function xorMappedAddress(address: string, port: number, transactionId: Buffer): Buffer {
  const v6 = address.includes(':');
  const out = Buffer.alloc(v6 ? 20 : 8);
  out[1] = v6 ? 2 : 1;
  out.writeUInt16BE(port ^ (STUN_MAGIC >>> 16), 2);
  if (!v6) {
    const parts = address.split('.').map(Number);
    const ip = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
    out.writeUInt32BE((ip ^ STUN_MAGIC) >>> 0, 4);
  } else {
    const bytes = ipv6Bytes(address);
    const key = Buffer.alloc(16);
    key.writeUInt32BE(STUN_MAGIC, 0);
    transactionId.copy(key, 4, 0, 12);
    for (let i = 0; i < 16; i++) out[4 + i] = bytes[i] ^ key[i];
  }
  return out;
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/** Decode XOR-MAPPED-ADDRESS (IPv4 only; IPv6 returns null). */
export function decodeXorMappedAddress(value: Buffer): { address: string; port: number } | null {
  if (value.length < 8 || value[1] !== 1) return null;
  const port = value.readUInt16BE(2) ^ (STUN_MAGIC >>> 16);
  const ip = (value.readUInt32BE(4) ^ STUN_MAGIC) >>> 0;
  return { address: `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`, port };
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}
