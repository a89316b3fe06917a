import { X509Certificate, createHash } from 'node:crypto';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';
import type { DtlsFingerprint } from './types.js';

/** A DTLS certificate (ECDSA P-256, self-signed) and its SDP fingerprint (RFC 8122 §5). */
export interface DtlsCertificate {
  certPem: string;
  keyPem: string;
  signatureHash: { hash: 4; signature: 1 | 3 };
  fingerprint: DtlsFingerprint;
}

let cached: Promise<DtlsCertificate> | null = null;

/** sha-256 fingerprint of a DER certificate, colon-separated upper-case hex. */
export function certificateFingerprint(der: Buffer, algorithm = 'sha-256'): string {
  const hash = createHash(algorithm.replace('-', '')).update(der).digest('hex').toUpperCase();
  return hash.match(/.{2}/g)?.join(':') ?? '';
}

/** Create a fresh certificate (costs a few ms). */
export async function createDtlsCertificate(): Promise<DtlsCertificate> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 }, NamedCurveAlgorithm.secp256r1_23);
  const der = new X509Certificate(certPem).raw;
  return {
    certPem, keyPem, signatureHash: signatureHash as DtlsCertificate['signatureHash'],
    fingerprint: { algorithm: 'sha-256', value: certificateFingerprint(der) },
  };
}

/**
 * The certificate shared by every leg in this thread (one per engine worker,
 * generated once and reused, as browsers do per RTCPeerConnection origin).
 */
export function sharedDtlsCertificate(): Promise<DtlsCertificate> {
  cached ??= createDtlsCertificate();
  return cached;
}
