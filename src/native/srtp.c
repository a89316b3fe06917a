/*
 * Tandem native SRTP/SRTCP (RFC 3711) for the media workers, in the same
 * Node-API addon as the UDP pump (tandem_udp_pump.node).
 *
 * Suites AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (RFC 4568 §6.2;
 * the SRTCP tag is always 80 bits) and AEAD_AES_128_GCM (RFC 7714).
 * Self-contained crypto, no OpenSSL:
 *   - AES-128 encryption (FIPS-197): AES-NI when the CPU has it, else a
 *     portable T-table implementation (not constant-time w.r.t. cache timing;
 *     only used on CPUs without AES-NI);
 *   - AES-CM keystream (RFC 3711 §4.1.1), block counter in the low 16 bits;
 *   - SHA-1 (FIPS 180-4): SHA-NI when present, else portable C; HMAC-SHA1
 *     (RFC 2104) with the inner/outer states precomputed per key (§4.2.1);
 *   - the AES-CM PRF key derivation with key_derivation_rate 0 (§4.3); for
 *     GCM the 96-bit master salt is zero-padded to 112 bits (label at octet
 *     7, as libsrtp) and only the keys and salts are derived (RFC 7714 §11);
 *   - AES-GCM (NIST SP 800-38D) with 96-bit IVs and 128-bit tags: the CTR
 *     part reuses the AES-CM code (J0 = IV || 0^31 || 1, data from counter
 *     2); GHASH with PCLMULQDQ when present, else a portable 4-bit table
 *     (Shoup; table lookups are key-dependent like the T-table AES).
 *     SRTP (RFC 7714 §8): IV = salt XOR (00 00 || SSRC || ROC || SEQ),
 *     AAD = the RTP header incl. CSRCs and extension, tag after the payload.
 *     SRTCP (§9): IV = salt XOR (00 00 || SSRC || 00 00 || 0 || index);
 *     E=1: AAD = first 8 octets || E||index, the rest is encrypted; E=0
 *     (received only): AAD = whole packet || E||index, nothing encrypted.
 *     Wire: header | payload | 16-octet tag | E||index (Figure 3). We always
 *     send E=1. Tags are checked before decrypting, so a packet failing
 *     authentication is left untouched and commits no state.
 * Per context: ROC / s_l tracking (§3.3.1), a replay window (§3.3.2) and the
 * SRTCP index with its E bit (§3.4). The semantics mirror
 * src/media/srtp/srtp-context.ts exactly (what is accepted, drop reasons,
 * state committed only after authentication, at most 64 SSRC states evicted
 * in insertion order, first SRTCP index 1).
 *
 * JS API (module exports; all transforms are in place, no allocation):
 *   srtpCreate(masterKey16, masterSalt14, tagLen 4|10, replayWindow 64..1024[, cipher[, sessionKeys]]) → External
 *       cipher 'aes-cm' (default) or 'aes-128-gcm' (then masterSalt is 12 bytes, tagLen 16);
 *       sessionKeys true (tests, GCM only): key/salt are used as the session key/salt of
 *       both SRTP and SRTCP without the KDF (the form of the RFC 7714 §16–17 vectors)
 *   srtpProtectRtp(ctx, u8, offset, len) → new length (len + tag) | negative code
 *       the caller guarantees tag bytes of room after the packet (else RangeError)
 *   srtpUnprotectRtp(ctx, u8, offset, len) → plain length | negative code
 *   srtpProtectRtcp(ctx, u8, offset, len) → len + 14 (GCM: len + 20) | negative code (room: that many bytes)
 *   srtpUnprotectRtcp(ctx, u8, offset, len) → plain length | negative code
 *   codes: -1 short, -2 auth, -3 replay, -4 malformed, -5 out of memory
 *   srtpFree(ctx)                      optional, idempotent (the finalizer also frees)
 *   srtpInfo() → { aes: 'aesni'|'table', sha1: 'shani'|'c', ghash: 'pclmul'|'table' } (ghash: GCM support)
 *   srtpSetAccel(boolean)              tests: false forces the portable code (AES, SHA-1, GHASH) for new contexts
 *   srtpAesCmXor(key16, iv16, u8)      tests: XORs the AES-CM keystream into u8 (B.2)
 *   srtpAesGcm(key16, iv12, aad, u8, tag16) tests: AES-128-GCM encrypts u8 in place, writes the tag
 *   srtpDeriveKeys(key16, salt14, u8 ≥ 100) tests: rtpKey16 rtpAuth20 rtpSalt14 rtcpKey16 rtcpAuth20 rtcpSalt14 (B.3)
 *   srtpHmacSha1(key, data, out20)     tests: HMAC-SHA1 of data
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#if defined(__x86_64__) || defined(__i386__)
#define TANDEM_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define SRTP_ERR_SHORT (-1)
#define SRTP_ERR_AUTH (-2)
#define SRTP_ERR_REPLAY (-3)
#define SRTP_ERR_MALFORMED (-4)
#define SRTP_ERR_NOMEM (-5)

#define SRTCP_TAG_LEN 10
#define GCM_TAG_LEN 16
/* GCM packets are at most 64 KiB, so the CTR block counter fits in 16 bits. */
#define GCM_MAX_LEN 0xffff
#define MAX_SSRC_STATES 64

/* ------------------------------------------------------------------ AES-128 */

static uint8_t sbox[256];
static uint32_t te0[256], te1[256], te2[256], te3[256];
static int have_aesni, have_shani, have_clmul;
static int accel_enabled = 1;

static uint8_t rotl8(uint8_t x, int s) { return (uint8_t)((x << s) | (x >> (8 - s))); }
static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }
static uint32_t ror32(uint32_t x, int s) { return (x >> s) | (x << (32 - s)); }

/*
 * S-box from its definition (FIPS-197 §5.1.1): multiplicative inverse in
 * GF(2^8) followed by the affine map. Walks the powers of the generator 3 and
 * of its inverse together, so p·q = 1 at each step.
 */
__attribute__((constructor)) static void srtp_tables_init(void) {
  uint8_t p = 1, q = 1;
  do {
    p = (uint8_t)(p ^ xtime(p));                 /* p *= 3 */
    q ^= (uint8_t)(q << 1);                       /* q /= 3 */
    q ^= (uint8_t)(q << 2);
    q ^= (uint8_t)(q << 4);
    if (q & 0x80) q ^= 0x09;
    sbox[p] = (uint8_t)(q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63);
  } while (p != 1);
  sbox[0] = 0x63;
  for (int i = 0; i < 256; i++) {
    uint8_t s = sbox[i], s2 = xtime(s), s3 = (uint8_t)(s2 ^ s);
    /* Column (2s, s, s, 3s) of MixColumns·SubBytes, big-endian. */
    uint32_t w = ((uint32_t)s2 << 24) | ((uint32_t)s << 16) | ((uint32_t)s << 8) | s3;
    te0[i] = w;
    te1[i] = ror32(w, 8);
    te2[i] = ror32(w, 16);
    te3[i] = ror32(w, 24);
  }
#ifdef TANDEM_X86
  __builtin_cpu_init();
  have_aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
  /* GHASH with carry-less multiply (CPUID.1:ECX bit 1) and pshufb (SSSE3). */
  have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
  {
    unsigned a, b, c, d;
    have_shani = __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((b >> 29) & 1) && __builtin_cpu_supports("sse4.1") &&
                 __builtin_cpu_supports("ssse3");
  }
#endif
}

typedef struct aes_key {
  uint8_t rk[176];   /* 11 round keys, FIPS-197 byte order (as AES-NI loads them) */
  uint32_t w[44];    /* the same words, big-endian values (T-table path) */
  int ni;
} aes_key;

static uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Key expansion (FIPS-197 §5.2), Nk = 4, Nr = 10. */
static void aes_expand(aes_key *k, const uint8_t key[16]) {
  static const uint8_t rcon[10] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36 };
  for (int i = 0; i < 4; i++) k->w[i] = load_be32(key + 4 * i);
  for (int i = 4; i < 44; i++) {
    uint32_t t = k->w[i - 1];
    if (i % 4 == 0) {
      t = (t << 8) | (t >> 24); /* RotWord */
      t = ((uint32_t)sbox[t >> 24] << 24) | ((uint32_t)sbox[(t >> 16) & 0xff] << 16) |
          ((uint32_t)sbox[(t >> 8) & 0xff] << 8) | sbox[t & 0xff];
      t ^= (uint32_t)rcon[i / 4 - 1] << 24;
    }
    k->w[i] = k->w[i - 4] ^ t;
  }
  for (int i = 0; i < 44; i++) store_be32(k->rk + 4 * i, k->w[i]);
  k->ni = have_aesni && accel_enabled;
}

/* One block with the T tables (portable path). */
static void aes_encrypt_table(const aes_key *k, const uint8_t in[16], uint8_t out[16]) {
  const uint32_t *w = k->w;
  uint32_t s0 = load_be32(in) ^ w[0], s1 = load_be32(in + 4) ^ w[1];
  uint32_t s2 = load_be32(in + 8) ^ w[2], s3 = load_be32(in + 12) ^ w[3];
  for (int r = 1; r < 10; r++) {
    const uint32_t *rk = w + 4 * r;
    uint32_t t0 = te0[s0 >> 24] ^ te1[(s1 >> 16) & 0xff] ^ te2[(s2 >> 8) & 0xff] ^ te3[s3 & 0xff] ^ rk[0];
    uint32_t t1 = te0[s1 >> 24] ^ te1[(s2 >> 16) & 0xff] ^ te2[(s3 >> 8) & 0xff] ^ te3[s0 & 0xff] ^ rk[1];
    uint32_t t2 = te0[s2 >> 24] ^ te1[(s3 >> 16) & 0xff] ^ te2[(s0 >> 8) & 0xff] ^ te3[s1 & 0xff] ^ rk[2];
    uint32_t t3 = te0[s3 >> 24] ^ te1[(s0 >> 16) & 0xff] ^ te2[(s1 >> 8) & 0xff] ^ te3[s2 & 0xff] ^ rk[3];
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  /* Last round: SubBytes, ShiftRows, AddRoundKey (no MixColumns). */
  const uint32_t *rk = w + 40;
#define LAST(a, b, c, d)                                                                          \
  (((uint32_t)sbox[(a) >> 24] << 24) | ((uint32_t)sbox[((b) >> 16) & 0xff] << 16) |               \
   ((uint32_t)sbox[((c) >> 8) & 0xff] << 8) | (uint32_t)sbox[(d) & 0xff])
  store_be32(out, LAST(s0, s1, s2, s3) ^ rk[0]);
  store_be32(out + 4, LAST(s1, s2, s3, s0) ^ rk[1]);
  store_be32(out + 8, LAST(s2, s3, s0, s1) ^ rk[2]);
  store_be32(out + 12, LAST(s3, s0, s1, s2) ^ rk[3]);
#undef LAST
}

/*
 * AES-CM (RFC 3711 §4.1.1): XORs data[0..len) with E(k, IV + i) for
 * i = first, first + 1, …; IV bytes 14–15 are zero and carry the 16-bit
 * block counter (AES-CM starts at 0; GCM with a 96-bit IV at 2, SP 800-38D).
 */
static void ctr_xor_table(const aes_key *k, const uint8_t iv[16], uint32_t first, uint8_t *data, size_t len) {
  uint8_t ctr[16], ks[16];
  memcpy(ctr, iv, 16);
  for (uint32_t i = first; len > 0; i++) {
    ctr[14] = (uint8_t)(i >> 8);
    ctr[15] = (uint8_t)i;
    aes_encrypt_table(k, ctr, ks);
    size_t n = len < 16 ? len : 16;
    for (size_t j = 0; j < n; j++) data[j] ^= ks[j];
    data += n;
    len -= n;
  }
}

#ifdef TANDEM_X86
__attribute__((target("aes,sse2"))) static void ctr_xor_aesni(const aes_key *k, const uint8_t iv[16], uint32_t first,
                                                               uint8_t *data, size_t len) {
  __m128i rk[11];
  for (int r = 0; r < 11; r++) rk[r] = _mm_loadu_si128((const __m128i *)(k->rk + 16 * r));
  const __m128i base = _mm_loadu_si128((const __m128i *)iv);
  uint32_t i = first;
  /* Counter block i: bytes 14..15 = i big-endian = 16-bit lane 7 byte-swapped. */
#define CTR(n) _mm_insert_epi16(base, (int)((((n) >> 8) & 0xff) | (((n) & 0xff) << 8)), 7)
  while (len >= 64) {
    __m128i b0 = _mm_xor_si128(CTR(i), rk[0]);
    __m128i b1 = _mm_xor_si128(CTR(i + 1), rk[0]);
    __m128i b2 = _mm_xor_si128(CTR(i + 2), rk[0]);
    __m128i b3 = _mm_xor_si128(CTR(i + 3), rk[0]);
    for (int r = 1; r < 10; r++) {
      b0 = _mm_aesenc_si128(b0, rk[r]);
      b1 = _mm_aesenc_si128(b1, rk[r]);
      b2 = _mm_aesenc_si128(b2, rk[r]);
      b3 = _mm_aesenc_si128(b3, rk[r]);
    }
    b0 = _mm_aesenclast_si128(b0, rk[10]);
    b1 = _mm_aesenclast_si128(b1, rk[10]);
    b2 = _mm_aesenclast_si128(b2, rk[10]);
    b3 = _mm_aesenclast_si128(b3, rk[10]);
    __m128i *d = (__m128i *)data;
    _mm_storeu_si128(d, _mm_xor_si128(_mm_loadu_si128(d), b0));
    _mm_storeu_si128(d + 1, _mm_xor_si128(_mm_loadu_si128(d + 1), b1));
    _mm_storeu_si128(d + 2, _mm_xor_si128(_mm_loadu_si128(d + 2), b2));
    _mm_storeu_si128(d + 3, _mm_xor_si128(_mm_loadu_si128(d + 3), b3));
    data += 64;
    len -= 64;
    i += 4;
  }
  while (len > 0) {
    __m128i b = _mm_xor_si128(CTR(i), rk[0]);
    for (int r = 1; r < 10; r++) b = _mm_aesenc_si128(b, rk[r]);
    b = _mm_aesenclast_si128(b, rk[10]);
    if (len >= 16) {
      _mm_storeu_si128((__m128i *)data, _mm_xor_si128(_mm_loadu_si128((const __m128i *)data), b));
      data += 16;
      len -= 16;
    } else {
      uint8_t ks[16];
      _mm_storeu_si128((__m128i *)ks, b);
      for (size_t j = 0; j < len; j++) data[j] ^= ks[j];
      len = 0;
    }
    i++;
  }
#undef CTR
}
#endif

static void ctr_xor(const aes_key *k, const uint8_t iv[16], uint32_t first, uint8_t *data, size_t len) {
#ifdef TANDEM_X86
  if (k->ni) { ctr_xor_aesni(k, iv, first, data, len); return; }
#endif
  ctr_xor_table(k, iv, first, data, len);
}

/* -------------------------------------------------------------------- SHA-1 */

static uint32_t rol32(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

/* SHA-1 compression (FIPS 180-4 §6.1.2) over n 64-byte blocks. */
static void sha1_blocks_c(uint32_t st[5], const uint8_t *p, size_t n) {
  while (n--) {
    uint32_t w[80];
    for (int t = 0; t < 16; t++) w[t] = load_be32(p + 4 * t);
    for (int t = 16; t < 80; t++) w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    for (int t = 0; t < 80; t++) {
      uint32_t f, kk;
      if (t < 20) { f = (b & c) | (~b & d); kk = 0x5a827999; }
      else if (t < 40) { f = b ^ c ^ d; kk = 0x6ed9eba1; }
      else if (t < 60) { f = (b & c) | (b & d) | (c & d); kk = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; kk = 0xca62c1d6; }
      uint32_t tmp = rol32(a, 5) + f + e + kk + w[t];
      e = d; d = c; c = rol32(b, 30); b = a; a = tmp;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e;
    p += 64;
  }
}

#ifdef TANDEM_X86
/*
 * SHA-1 compression with the SHA extensions: four rounds per sha1rnds4, the
 * message schedule W[t] = rol1(W[t-3]^W[t-8]^W[t-14]^W[t-16]) four words at a
 * time with sha1msg1/sha1msg2, and E for the next four rounds from sha1nexte.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha1_blocks_ni(uint32_t st[5], const uint8_t *p, size_t n) {
  const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0x1b);
  __m128i e0 = _mm_set_epi32((int)st[4], 0, 0, 0);
  while (n--) {
    const __m128i abcd_save = abcd, e_save = e0;
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap);
    __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
    __m128i e, prev;
    /* Group 0 (rounds 0–3). */
    e = _mm_add_epi32(e0, m0);
    prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
    /* Group g: e = nexte(ABCD before group g-1, W[4g..4g+3]). */
#define GROUP(m, f)                              \
  e = _mm_sha1nexte_epu32(prev, m);              \
  prev = abcd;                                   \
  abcd = _mm_sha1rnds4_epu32(abcd, e, f)
    /* Next schedule words into a (a = W[g-4], b = W[g-3], c = W[g-2], d = W[g-1]). */
#define SCHED(a, b, c, d) a = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(a, b), c), d)
    GROUP(m1, 0);
    GROUP(m2, 0);
    GROUP(m3, 0);
    SCHED(m0, m1, m2, m3); GROUP(m0, 0);  /* group 4 */
    SCHED(m1, m2, m3, m0); GROUP(m1, 1);  /* 5 */
    SCHED(m2, m3, m0, m1); GROUP(m2, 1);
    SCHED(m3, m0, m1, m2); GROUP(m3, 1);
    SCHED(m0, m1, m2, m3); GROUP(m0, 1);
    SCHED(m1, m2, m3, m0); GROUP(m1, 1);  /* 9 */
    SCHED(m2, m3, m0, m1); GROUP(m2, 2);  /* 10 */
    SCHED(m3, m0, m1, m2); GROUP(m3, 2);
    SCHED(m0, m1, m2, m3); GROUP(m0, 2);
    SCHED(m1, m2, m3, m0); GROUP(m1, 2);
    SCHED(m2, m3, m0, m1); GROUP(m2, 2);  /* 14 */
    SCHED(m3, m0, m1, m2); GROUP(m3, 3);  /* 15 */
    SCHED(m0, m1, m2, m3); GROUP(m0, 3);
    SCHED(m1, m2, m3, m0); GROUP(m1, 3);
    SCHED(m2, m3, m0, m1); GROUP(m2, 3);
    SCHED(m3, m0, m1, m2); GROUP(m3, 3);  /* 19 */
#undef GROUP
#undef SCHED
    e0 = _mm_sha1nexte_epu32(prev, e_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    p += 64;
  }
  _mm_storeu_si128((__m128i *)st, _mm_shuffle_epi32(abcd, 0x1b));
  st[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#endif

typedef void (*sha1_fn)(uint32_t st[5], const uint8_t *p, size_t n);

typedef struct hmac_key {
  uint32_t inner[5]; /* SHA-1 state after (K ^ ipad) */
  uint32_t outer[5]; /* after (K ^ opad) */
  sha1_fn blocks;
} hmac_key;

static const uint32_t sha1_iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

static sha1_fn pick_sha1(void) {
#ifdef TANDEM_X86
  if (have_shani && accel_enabled) return sha1_blocks_ni;
#endif
  return sha1_blocks_c;
}

/* SHA-1 of a short message (keys longer than a block, RFC 2104 §2). */
static void sha1_oneshot(sha1_fn blocks, const uint8_t *d, size_t len, uint8_t out[20]) {
  uint32_t st[5];
  memcpy(st, sha1_iv, sizeof st);
  size_t full = len / 64;
  if (full) blocks(st, d, full);
  uint8_t buf[128];
  size_t r = len - full * 64;
  memcpy(buf, d + full * 64, r);
  buf[r++] = 0x80;
  size_t total = r + 8 <= 64 ? 64 : 128;
  memset(buf + r, 0, total - r);
  uint64_t bits = (uint64_t)len * 8;
  store_be32(buf + total - 8, (uint32_t)(bits >> 32));
  store_be32(buf + total - 4, (uint32_t)bits);
  blocks(st, buf, total / 64);
  for (int i = 0; i < 5; i++) store_be32(out + 4 * i, st[i]);
}

static void hmac_init(hmac_key *h, const uint8_t *key, size_t klen) {
  uint8_t k[64], pad[64];
  h->blocks = pick_sha1();
  memset(k, 0, sizeof k);
  if (klen > 64) sha1_oneshot(h->blocks, key, klen, k);
  else if (klen) memcpy(k, key, klen);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  memcpy(h->inner, sha1_iv, sizeof h->inner);
  h->blocks(h->inner, pad, 1);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  memcpy(h->outer, sha1_iv, sizeof h->outer);
  h->blocks(h->outer, pad, 1);
}

/* HMAC-SHA1(K, d[0..len) || tail[0..tl)) with tl ≤ 4 (RFC 2104, RFC 3711 §4.2.1). */
static void hmac_sha1(const hmac_key *h, const uint8_t *d, size_t len, const uint8_t *tail, size_t tl,
                      uint8_t out[20]) {
  uint32_t st[5];
  memcpy(st, h->inner, sizeof st);
  size_t full = len / 64;
  if (full) h->blocks(st, d, full);
  uint8_t buf[128];
  size_t r = len - full * 64;
  memcpy(buf, d + full * 64, r);
  if (tl) memcpy(buf + r, tail, tl);
  r += tl;
  buf[r++] = 0x80;
  size_t total = r + 8 <= 64 ? 64 : 128;
  memset(buf + r, 0, total - r);
  uint64_t bits = ((uint64_t)len + tl + 64) * 8;
  store_be32(buf + total - 8, (uint32_t)(bits >> 32));
  store_be32(buf + total - 4, (uint32_t)bits);
  h->blocks(st, buf, total / 64);
  /* Outer hash: (K ^ opad) || inner digest, one block. */
  uint8_t ob[64];
  for (int i = 0; i < 5; i++) store_be32(ob + 4 * i, st[i]);
  ob[20] = 0x80;
  memset(ob + 21, 0, 64 - 21);
  ob[62] = (uint8_t)((84 * 8) >> 8);
  ob[63] = (uint8_t)(84 * 8);
  memcpy(st, h->outer, sizeof st);
  h->blocks(st, ob, 1);
  for (int i = 0; i < 5; i++) store_be32(out + 4 * i, st[i]);
}

/* ---------------------------------------------------------------- the KDF */

/*
 * AES-CM PRF (RFC 3711 §4.3.1, §4.3.3) with kdr = 0: x = label·2^48 XOR
 * master_salt, output = E(k_master, x·2^16 + i), i = 0, 1, ….
 */
static void kdf(const aes_key *master, const uint8_t salt[14], uint8_t label, uint8_t *out, size_t len) {
  uint8_t iv[16];
  memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  iv[7] ^= label;
  memset(out, 0, len);
  ctr_xor(master, iv, 0, out, len);
}

/* ------------------------------------------------------------------ GHASH */

static uint64_t load_be64(const uint8_t *p) { return ((uint64_t)load_be32(p) << 32) | load_be32(p + 4); }
static void store_be64(uint8_t *p, uint64_t v) { store_be32(p, (uint32_t)(v >> 32)); store_be32(p + 4, (uint32_t)v); }

/*
 * GHASH key (SP 800-38D §6.4) for H = E(K, 0^128). Field elements in GCM's
 * bit order: the first bit (MSB of octet 0) is the coefficient of x^0, so
 * multiplying by x is a right shift, reduced by R = 11100001 || 0^120.
 * Portable path (Shoup's 4-bit method): m[n] = n·H for every nibble n
 * (nibble bit 3 = lowest power), as (hi, lo) 64-bit halves.
 */
typedef struct ghash_key {
  uint64_t mh[16], ml[16];
  uint8_t h[16];
  int clmul;
} ghash_key;

/* red4[r]: what shifting Z by 4 (Z·x^4) adds when the 4 bits falling off (x^124..x^127) are r; high half only. */
static uint64_t red4[16];

__attribute__((constructor)) static void ghash_tables_init(void) {
  for (uint64_t r = 0; r < 16; r++) {
    uint64_t hi = 0, lo = r;
    for (int i = 0; i < 4; i++) {
      uint64_t carry = lo & 1;
      lo = (hi << 63) | (lo >> 1);
      hi = (hi >> 1) ^ (carry ? 0xe100000000000000ull : 0);
    }
    red4[r] = hi; /* lo is 0: the four bits left through the reduction */
  }
}

static void ghash_init(ghash_key *g, const aes_key *k) {
  static const uint8_t zero_iv[16];
  memset(g->h, 0, 16);
  ctr_xor(k, zero_iv, 0, g->h, 16); /* E(K, 0^128) */
  uint64_t vh = load_be64(g->h), vl = load_be64(g->h + 8);
  g->mh[0] = g->ml[0] = 0;
  g->mh[8] = vh; g->ml[8] = vl;
  for (int i = 4; i > 0; i >>= 1) { /* m[4] = H·x, m[2] = H·x^2, m[1] = H·x^3 */
    uint64_t carry = vl & 1;
    vl = (vh << 63) | (vl >> 1);
    vh = (vh >> 1) ^ (carry ? 0xe100000000000000ull : 0);
    g->mh[i] = vh; g->ml[i] = vl;
  }
  for (int i = 2; i <= 8; i <<= 1)
    for (int j = 1; j < i; j++) {
      g->mh[i + j] = g->mh[i] ^ g->mh[j];
      g->ml[i + j] = g->ml[i] ^ g->ml[j];
    }
  g->clmul = have_clmul && accel_enabled;
}

/* y = (y XOR block)·H for n blocks, 4-bit tables: Horner from the highest power (last nibble) down. */
static void ghash_blocks_table(const ghash_key *g, uint8_t y[16], const uint8_t *d, size_t n) {
  uint64_t yh = load_be64(y), yl = load_be64(y + 8);
  while (n--) {
    yh ^= load_be64(d);
    yl ^= load_be64(d + 8);
    uint64_t zh = 0, zl = 0;
    for (int i = 15; i >= 0; i--) {
      uint8_t b = (uint8_t)((i < 8 ? yh >> (8 * (7 - i)) : yl >> (8 * (15 - i))) & 0xff);
      for (int half = 0; half < 2; half++) {
        unsigned nib = half ? (unsigned)(b >> 4) : (unsigned)(b & 0x0f);
        unsigned r = (unsigned)(zl & 0x0f); /* Z·x^4 */
        zl = (zh << 60) | (zl >> 4);
        zh = (zh >> 4) ^ red4[r];
        zh ^= g->mh[nib];
        zl ^= g->ml[nib];
      }
    }
    yh = zh; yl = zl;
    d += 16;
  }
  store_be64(y, yh);
  store_be64(y + 8, yl);
}

#ifdef TANDEM_X86
/*
 * a·b in GF(2^128) on byte-reversed operands (Intel's carry-less
 * multiplication white paper, Gueron & Kounavis, algorithms 1 and 5):
 * schoolbook 128×128 carry-less product, a 1-bit left shift of the 256-bit
 * result (GCM's reflected bit order), then reduction modulo
 * x^128 + x^7 + x^2 + x + 1.
 */
__attribute__((target("pclmul,sse2"))) static __m128i gf_mul_clmul(__m128i a, __m128i b) {
  __m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
  __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  __m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
  lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
  hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
  /* <<1 of hi:lo */
  __m128i lo_c = _mm_srli_epi32(lo, 31), hi_c = _mm_srli_epi32(hi, 31);
  lo = _mm_slli_epi32(lo, 1);
  hi = _mm_slli_epi32(hi, 1);
  hi = _mm_or_si128(hi, _mm_srli_si128(lo_c, 12));
  hi = _mm_or_si128(hi, _mm_slli_si128(hi_c, 4));
  lo = _mm_or_si128(lo, _mm_slli_si128(lo_c, 4));
  /* reduction, first phase */
  __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)), _mm_slli_epi32(lo, 25));
  __m128i carry = _mm_srli_si128(t, 4);
  lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
  /* second phase */
  __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)), _mm_srli_epi32(lo, 7));
  u = _mm_xor_si128(u, carry);
  lo = _mm_xor_si128(lo, u);
  return _mm_xor_si128(hi, lo);
}

__attribute__((target("pclmul,ssse3,sse2"))) static void ghash_blocks_clmul(const ghash_key *g, uint8_t y[16],
                                                                             const uint8_t *d, size_t n) {
  const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i h = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)g->h), rev);
  __m128i x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)y), rev);
  while (n--) {
    x = _mm_xor_si128(x, _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)d), rev));
    x = gf_mul_clmul(x, h);
    d += 16;
  }
  _mm_storeu_si128((__m128i *)y, _mm_shuffle_epi8(x, rev));
}
#endif

static void ghash_blocks(const ghash_key *g, uint8_t y[16], const uint8_t *d, size_t n) {
  if (!n) return;
#ifdef TANDEM_X86
  if (g->clmul) { ghash_blocks_clmul(g, y, d, n); return; }
#endif
  ghash_blocks_table(g, y, d, n);
}

/* Absorbs a[0..alen) || b[0..blen) (blen ≤ 16) zero-padded to whole blocks. */
static void ghash_absorb(const ghash_key *g, uint8_t y[16], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  size_t full = alen / 16;
  ghash_blocks(g, y, a, full);
  uint8_t t[32];
  size_t r = alen - full * 16;
  memset(t, 0, sizeof t);
  memcpy(t, a + full * 16, r);
  if (blen) memcpy(t + r, b, blen);
  ghash_blocks(g, y, t, (r + blen + 15) / 16);
}

/*
 * GCM tag (SP 800-38D §7.1) for the 96-bit IV in iv[0..12) (iv[12..16)
 * zero): GHASH_H(A || 0* || C || 0* || [len A]64 || [len C]64) XOR E(K, J0),
 * J0 = IV || 0^31 || 1. A = a || b (b: ≤ 16 octets, e.g. SRTCP's E||index).
 */
static void gcm_tag(const aes_key *k, const ghash_key *g, const uint8_t iv[16], const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, const uint8_t *c, size_t clen, uint8_t tag[16]) {
  uint8_t y[16], ek[16], lens[16];
  memset(y, 0, 16);
  ghash_absorb(g, y, a, alen, b, blen);
  ghash_absorb(g, y, c, clen, NULL, 0);
  store_be64(lens, (uint64_t)(alen + blen) * 8);
  store_be64(lens + 8, (uint64_t)clen * 8);
  ghash_blocks(g, y, lens, 1);
  memset(ek, 0, 16);
  ctr_xor(k, iv, 1, ek, 16);
  for (int i = 0; i < 16; i++) tag[i] = (uint8_t)(y[i] ^ ek[i]);
}

/* ---------------------------------------------------------- SRTP contexts */

typedef struct ssrc_state {
  uint32_t ssrc;
  uint32_t roc;       /* RTP: rollover counter; RTCP: last SRTCP index sent */
  uint32_t sl;        /* RTP: highest sequence number s_l */
  int64_t highest;    /* highest index accepted, -1 none */
  int64_t window[];   /* ring of accepted indices (slot index % size), -1 empty */
} ssrc_state;

/* Insertion-ordered SSRC → state table (like the JS Map it mirrors). */
typedef struct state_map {
  ssrc_state **items;
  uint32_t count, cap;
} state_map;

typedef struct srtp_ctx {
  aes_key rtp_aes, rtcp_aes;
  hmac_key rtp_mac, rtcp_mac;      /* AES-CM suites */
  ghash_key rtp_gh, rtcp_gh;       /* AEAD_AES_128_GCM */
  uint8_t rtp_salt[14], rtcp_salt[14]; /* GCM: the first 12 octets */
  uint32_t tag_len;                /* SRTP tag: 4, 10 or 16 (GCM) */
  uint32_t rtcp_trailer;           /* SRTCP bytes appended: 4 + 10, or 16 + 4 (GCM) */
  int aead;
  uint32_t window;
  state_map rtp, rtcp;
  int freed;
} srtp_ctx;

static ssrc_state *map_get(const state_map *m, uint32_t ssrc) {
  for (uint32_t i = 0; i < m->count; i++)
    if (m->items[i]->ssrc == ssrc) return m->items[i];
  return NULL;
}

static void map_evict_first(state_map *m) {
  if (m->count == 0) return;
  free(m->items[0]);
  memmove(m->items, m->items + 1, (m->count - 1) * sizeof m->items[0]);
  m->count--;
}

/* Appends a fresh state (roc, sl given; highest -1; empty window). */
static ssrc_state *map_add(state_map *m, uint32_t window, uint32_t ssrc, uint32_t roc, uint32_t sl) {
  if (m->count == m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 4;
    ssrc_state **items = realloc(m->items, cap * sizeof *items);
    if (!items) return NULL;
    m->items = items;
    m->cap = cap;
  }
  ssrc_state *s = malloc(sizeof *s + window * sizeof(int64_t));
  if (!s) return NULL;
  s->ssrc = ssrc;
  s->roc = roc;
  s->sl = sl;
  s->highest = -1;
  for (uint32_t i = 0; i < window; i++) s->window[i] = -1;
  m->items[m->count++] = s;
  return s;
}

static void map_free(state_map *m) {
  for (uint32_t i = 0; i < m->count; i++) free(m->items[i]);
  free(m->items);
  m->items = NULL;
  m->count = m->cap = 0;
}

/* Replay check (§3.3.2): too old, or inside the window and already seen. */
static int is_replay(const ssrc_state *s, uint32_t window, int64_t index) {
  if (s->highest < 0) return 0;
  int64_t delta = s->highest - index;
  return delta >= (int64_t)window || (delta >= 0 && s->window[(uint64_t)index % window] == index);
}

static void mark_seen(ssrc_state *s, uint32_t window, int64_t index) {
  if (index > s->highest) s->highest = index;
  s->window[(uint64_t)index % window] = index;
}

/* IV = salt·2^16 XOR ssrc·2^64 XOR index·2^16 (§4.1.1); index = hi·2^16 + lo16. */
static void make_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint32_t hi, uint32_t lo16) {
  memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  iv[4] ^= (uint8_t)(ssrc >> 24); iv[5] ^= (uint8_t)(ssrc >> 16); iv[6] ^= (uint8_t)(ssrc >> 8); iv[7] ^= (uint8_t)ssrc;
  iv[8] ^= (uint8_t)(hi >> 24); iv[9] ^= (uint8_t)(hi >> 16); iv[10] ^= (uint8_t)(hi >> 8); iv[11] ^= (uint8_t)hi;
  iv[12] ^= (uint8_t)(lo16 >> 8); iv[13] ^= (uint8_t)lo16;
}

/*
 * AES-GCM IV (RFC 7714 §8.1, §9.1): the 12-octet session salt XOR
 * 00 00 || SSRC || w1 (4 octets) || w2 (RTP: ROC, then SEQ in 2 octets;
 * SRTCP: 00 00, then 0 || SRTCP index in 4 octets). iv[12..16) = 0 (counter).
 */
static void make_gcm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, int rtcp, uint32_t a, uint32_t b) {
  uint8_t w[12];
  w[0] = w[1] = 0;
  store_be32(w + 2, ssrc);
  if (rtcp) { w[6] = w[7] = 0; store_be32(w + 8, b); }
  else { store_be32(w + 6, a); w[10] = (uint8_t)(b >> 8); w[11] = (uint8_t)b; }
  for (int i = 0; i < 12; i++) iv[i] = (uint8_t)(salt[i] ^ w[i]);
  iv[12] = iv[13] = iv[14] = iv[15] = 0;
}

/* RTP header length incl. CSRCs and extension (RFC 3550 §5.1, §5.3.1), or -1. */
static long rtp_header_len(const uint8_t *p, long len) {
  if (len < 12 || (p[0] >> 6) != 2) return -1;
  long off = 12 + (long)(p[0] & 0x0f) * 4;
  if (p[0] & 0x10) {
    if (off + 4 > len) return -1;
    off += 4 + (long)(((uint32_t)p[off + 2] << 8) | p[off + 3]) * 4;
  }
  return off <= len ? off : -1;
}

static int tags_differ(const uint8_t *a, const uint8_t *b, uint32_t n) {
  uint8_t d = 0;
  for (uint32_t i = 0; i < n; i++) d |= (uint8_t)(a[i] ^ b[i]);
  return d != 0;
}

/* Protects p[0..len) in place, appending the tag; returns len + tag or a code. */
static long protect_rtp(srtp_ctx *c, uint8_t *p, long len) {
  long hl = rtp_header_len(p, len);
  if (hl < 0 || (c->aead && len > GCM_MAX_LEN)) return SRTP_ERR_MALFORMED;
  uint32_t ssrc = load_be32(p + 8);
  uint32_t seq = ((uint32_t)p[2] << 8) | p[3];
  ssrc_state *st = map_get(&c->rtp, ssrc);
  if (!st) {
    if (c->rtp.count >= MAX_SSRC_STATES) map_evict_first(&c->rtp);
    st = map_add(&c->rtp, c->window, ssrc, 0, seq);
    if (!st) return SRTP_ERR_NOMEM;
  } else if (seq < st->sl && st->sl - seq > 0x8000) {
    /* Sender-side ROC (§3.3.1): the sequence number wrapped. */
    st->roc++;
    st->sl = seq;
  } else if (seq > st->sl && seq - st->sl < 0x8000) {
    st->sl = seq;
  }
  uint8_t iv[16], roc4[4], tag[20];
  if (c->aead) {
    /* RFC 7714 §8: encrypt the payload, tag over header (AAD) and ciphertext. */
    make_gcm_iv(iv, c->rtp_salt, ssrc, 0, st->roc, seq);
    ctr_xor(&c->rtp_aes, iv, 2, p + hl, (size_t)(len - hl));
    gcm_tag(&c->rtp_aes, &c->rtp_gh, iv, p, (size_t)hl, NULL, 0, p + hl, (size_t)(len - hl), p + len);
    return len + GCM_TAG_LEN;
  }
  make_iv(iv, c->rtp_salt, ssrc, st->roc, seq);
  ctr_xor(&c->rtp_aes, iv, 0, p + hl, (size_t)(len - hl));
  store_be32(roc4, st->roc);
  hmac_sha1(&c->rtp_mac, p, (size_t)len, roc4, 4, tag);
  memcpy(p + len, tag, c->tag_len);
  return len + c->tag_len;
}

/* Verifies and decrypts p[0..length) in place; returns the plain length or a code. */
static long unprotect_rtp(srtp_ctx *c, uint8_t *p, long length) {
  long len = length - (long)c->tag_len;
  long hl = rtp_header_len(p, len);
  if (hl < 0) return len < 12 ? SRTP_ERR_SHORT : SRTP_ERR_MALFORMED;
  if (c->aead && len > GCM_MAX_LEN) return SRTP_ERR_MALFORMED;
  uint32_t ssrc = load_be32(p + 8);
  uint32_t seq = ((uint32_t)p[2] << 8) | p[3];
  ssrc_state *st = map_get(&c->rtp, ssrc);
  /* Index estimate (§3.3.1, Appendix A). */
  uint32_t v;
  if (!st) {
    v = 0;
  } else if (st->sl < 0x8000) {
    if ((int64_t)seq - st->sl > 0x8000) {
      if (st->roc == 0) return SRTP_ERR_REPLAY;
      v = st->roc - 1;
    } else {
      v = st->roc;
    }
  } else {
    v = st->sl - 0x8000 > seq ? st->roc + 1 : st->roc;
  }
  int64_t index = (int64_t)v * 0x10000 + seq;
  /* Replay check before the MAC (§3.3.2). */
  if (st && is_replay(st, c->window, index)) return SRTP_ERR_REPLAY;
  uint8_t roc4[4], tag[20], iv[16];
  if (c->aead) {
    make_gcm_iv(iv, c->rtp_salt, ssrc, 0, v, seq);
    gcm_tag(&c->rtp_aes, &c->rtp_gh, iv, p, (size_t)hl, NULL, 0, p + hl, (size_t)(len - hl), tag);
  } else {
    store_be32(roc4, v);
    hmac_sha1(&c->rtp_mac, p, (size_t)len, roc4, 4, tag);
  }
  if (tags_differ(tag, p + len, c->tag_len)) return SRTP_ERR_AUTH;
  /* Authenticated: commit the state (§3.3.1). */
  if (!st) {
    if (c->rtp.count >= MAX_SSRC_STATES) map_evict_first(&c->rtp);
    st = map_add(&c->rtp, c->window, ssrc, v, seq);
    if (!st) return SRTP_ERR_NOMEM;
  }
  if (v == st->roc + 1) { st->roc = v; st->sl = seq; }
  else if (v == st->roc && seq > st->sl) st->sl = seq;
  mark_seen(st, c->window, index);
  if (c->aead) {
    ctr_xor(&c->rtp_aes, iv, 2, p + hl, (size_t)(len - hl));
    return len;
  }
  make_iv(iv, c->rtp_salt, ssrc, v, seq);
  ctr_xor(&c->rtp_aes, iv, 0, p + hl, (size_t)(len - hl));
  return len;
}

/* SRTCP protect (§3.4): encrypt after 8 bytes, append E||index and the 80-bit tag. */
static long protect_rtcp(srtp_ctx *c, uint8_t *p, long len) {
  if (len < 8) return SRTP_ERR_SHORT;
  if (c->aead && len > GCM_MAX_LEN) return SRTP_ERR_MALFORMED;
  uint32_t ssrc = load_be32(p + 4);
  ssrc_state *st = map_get(&c->rtcp, ssrc);
  if (!st) {
    st = map_add(&c->rtcp, c->window, ssrc, 0, 0);
    if (!st) return SRTP_ERR_NOMEM;
  }
  /* Incremented before use: the first SRTCP index is 1 (as libsrtp). */
  st->roc = (st->roc + 1) & 0x7fffffff;
  uint32_t index = st->roc;
  uint8_t iv[16], tag[20];
  if (c->aead) {
    /* RFC 7714 §9.1 (E = 1): AAD = octets 0..7 || E||index; tag, then E||index. */
    uint8_t word[4];
    store_be32(word, 0x80000000u | index);
    make_gcm_iv(iv, c->rtcp_salt, ssrc, 1, 0, index);
    ctr_xor(&c->rtcp_aes, iv, 2, p + 8, (size_t)(len - 8));
    gcm_tag(&c->rtcp_aes, &c->rtcp_gh, iv, p, 8, word, 4, p + 8, (size_t)(len - 8), p + len);
    memcpy(p + len + GCM_TAG_LEN, word, 4);
    return len + GCM_TAG_LEN + 4;
  }
  make_iv(iv, c->rtcp_salt, ssrc, index >> 16, index & 0xffff);
  ctr_xor(&c->rtcp_aes, iv, 0, p + 8, (size_t)(len - 8));
  store_be32(p + len, 0x80000000u | index);
  hmac_sha1(&c->rtcp_mac, p, (size_t)len + 4, NULL, 0, tag);
  memcpy(p + len + 4, tag, SRTCP_TAG_LEN);
  return len + 4 + SRTCP_TAG_LEN;
}

/* SRTCP unprotect: verify the tag, replay-check the index, decrypt when E is set. */
static long unprotect_rtcp(srtp_ctx *c, uint8_t *p, long length) {
  long len = length - (long)c->rtcp_trailer;
  if (len < 8) return SRTP_ERR_SHORT;
  if ((p[0] >> 6) != 2 || (c->aead && len > GCM_MAX_LEN)) return SRTP_ERR_MALFORMED;
  uint8_t tag[20], iv[16];
  uint32_t word, ssrc = load_be32(p + 4);
  if (c->aead) {
    /* RFC 7714 §9: header | payload | tag | E||index. E = 0: authenticated only, AAD = the packet || E||index (§9.2). */
    word = load_be32(p + len + GCM_TAG_LEN);
    make_gcm_iv(iv, c->rtcp_salt, ssrc, 1, 0, word & 0x7fffffff);
    if (word & 0x80000000u)
      gcm_tag(&c->rtcp_aes, &c->rtcp_gh, iv, p, 8, p + len + GCM_TAG_LEN, 4, p + 8, (size_t)(len - 8), tag);
    else
      gcm_tag(&c->rtcp_aes, &c->rtcp_gh, iv, p, (size_t)len, p + len + GCM_TAG_LEN, 4, NULL, 0, tag);
    if (tags_differ(tag, p + len, GCM_TAG_LEN)) return SRTP_ERR_AUTH;
  } else {
    hmac_sha1(&c->rtcp_mac, p, (size_t)len + 4, NULL, 0, tag);
    if (tags_differ(tag, p + len + 4, SRTCP_TAG_LEN)) return SRTP_ERR_AUTH;
    word = load_be32(p + len);
  }
  int encrypted = (word & 0x80000000u) != 0;
  uint32_t index = word & 0x7fffffff;
  ssrc_state *st = map_get(&c->rtcp, ssrc);
  if (!st) {
    if (c->rtcp.count >= MAX_SSRC_STATES) map_evict_first(&c->rtcp);
    st = map_add(&c->rtcp, c->window, ssrc, 0, 0);
    if (!st) return SRTP_ERR_NOMEM;
  }
  if (is_replay(st, c->window, index)) return SRTP_ERR_REPLAY;
  mark_seen(st, c->window, index);
  if (encrypted && c->aead) {
    ctr_xor(&c->rtcp_aes, iv, 2, p + 8, (size_t)(len - 8));
  } else if (encrypted) {
    make_iv(iv, c->rtcp_salt, ssrc, index >> 16, index & 0xffff);
    ctr_xor(&c->rtcp_aes, iv, 0, p + 8, (size_t)(len - 8));
  }
  return len;
}

static void ctx_release(srtp_ctx *c) {
  if (c->freed) return;
  c->freed = 1;
  map_free(&c->rtp);
  map_free(&c->rtcp);
  /* Scrub key material. */
  volatile uint8_t *z = (volatile uint8_t *)c;
  for (size_t i = 0; i < offsetof(srtp_ctx, tag_len); i++) z[i] = 0;
}

/* ------------------------------------------------------------- Node-API glue */

#define NCHECK(call)                                                    \
  do {                                                                  \
    if ((call) != napi_ok) return NULL;                                 \
  } while (0)

/* A numeric/boolean argument that fails to convert throws a TypeError (never a silent undefined). */
#define NARG(call, what)                                                \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_type_error(env, NULL, what);                           \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static void ctx_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  srtp_ctx *c = data;
  ctx_release(c);
  free(c);
  int64_t ignored;
  napi_adjust_external_memory(env, -(int64_t)sizeof(srtp_ctx), &ignored);
}

/* Bytes of a Uint8Array (Buffer) argument; throws a TypeError and returns NULL otherwise. */
static uint8_t *u8_arg(napi_env env, napi_value v, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return NULL;
  }
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return NULL;
  }
  /* An empty array may have no backing store. */
  return data ? (uint8_t *)data : (uint8_t *)"";
}

static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) { napi_throw_type_error(env, NULL, "srtpCreate(key, salt, tagLen, window[, cipher[, sessionKeys]])"); return NULL; }
  size_t klen, slen;
  uint8_t *key = u8_arg(env, argv[0], &klen);
  if (!key) return NULL;
  uint8_t *salt = u8_arg(env, argv[1], &slen);
  if (!salt) return NULL;
  uint32_t tag_len, window;
  NARG(napi_get_value_uint32(env, argv[2], &tag_len), "tagLen must be a number");
  NARG(napi_get_value_uint32(env, argv[3], &window), "replayWindow must be a number");
  /* Optional cipher: 'aes-cm' (default; undefined too) or 'aes-128-gcm'. */
  int aead = 0;
  napi_valuetype vt = napi_undefined;
  if (argc >= 5) NCHECK(napi_typeof(env, argv[4], &vt));
  if (vt != napi_undefined) {
    char name[16];
    size_t nl = 0;
    NARG(napi_get_value_string_utf8(env, argv[4], name, sizeof name, &nl), "cipher must be a string");
    if (nl == 6 && memcmp(name, "aes-cm", 6) == 0) aead = 0;
    else if (nl == 11 && memcmp(name, "aes-128-gcm", 11) == 0) aead = 1;
    else { napi_throw_range_error(env, NULL, "SRTP cipher must be 'aes-cm' or 'aes-128-gcm'"); return NULL; }
  }
  bool session_keys = false;
  vt = napi_undefined;
  if (argc >= 6) NCHECK(napi_typeof(env, argv[5], &vt));
  if (vt != napi_undefined) NARG(napi_get_value_bool(env, argv[5], &session_keys), "sessionKeys must be a boolean");
  if (aead) {
    if (klen != 16 || slen != 12) { napi_throw_range_error(env, NULL, "AEAD_AES_128_GCM master key must be 16 bytes and salt 12 bytes"); return NULL; }
    if (tag_len != GCM_TAG_LEN) { napi_throw_range_error(env, NULL, "AEAD_AES_128_GCM tag length must be 16"); return NULL; }
  } else {
    if (klen != 16 || slen != 14) { napi_throw_range_error(env, NULL, "SRTP master key must be 16 bytes and salt 14 bytes"); return NULL; }
    if (tag_len != 4 && tag_len != 10) { napi_throw_range_error(env, NULL, "SRTP tag length must be 4 or 10"); return NULL; }
    if (session_keys) { napi_throw_range_error(env, NULL, "sessionKeys is only supported for aes-128-gcm"); return NULL; }
  }
  if (window < 64 || window > 1024) { napi_throw_range_error(env, NULL, "SRTP replay window must be 64..1024"); return NULL; }
  srtp_ctx *c = calloc(1, sizeof *c);
  if (!c) { napi_throw_error(env, "ERR_SRTP_NOMEM", "out of memory"); return NULL; }
  if (aead && session_keys) {
    /* Tests: the given key/salt are the session key/salt of SRTP and SRTCP alike. */
    aes_expand(&c->rtp_aes, key);
    aes_expand(&c->rtcp_aes, key);
    memcpy(c->rtp_salt, salt, 12);
    memcpy(c->rtcp_salt, salt, 12);
  } else if (aead) {
    /* RFC 7714 §11: AES-CM PRF of RFC 3711 §4.3 over the 96-bit master salt, zero-padded to 112 bits. */
    uint8_t salt14[14], k[16];
    memcpy(salt14, salt, 12);
    salt14[12] = salt14[13] = 0;
    aes_key master;
    aes_expand(&master, key);
    kdf(&master, salt14, 0x00, k, 16);
    aes_expand(&c->rtp_aes, k);
    kdf(&master, salt14, 0x02, c->rtp_salt, 12);
    kdf(&master, salt14, 0x03, k, 16);
    aes_expand(&c->rtcp_aes, k);
    kdf(&master, salt14, 0x05, c->rtcp_salt, 12);
    memset(&master, 0, sizeof master);
    memset(k, 0, sizeof k);
    memset(salt14, 0, sizeof salt14);
  } else {
    aes_key master;
    aes_expand(&master, key);
    uint8_t k[16], a[20];
    kdf(&master, salt, 0x00, k, 16);
    aes_expand(&c->rtp_aes, k);
    kdf(&master, salt, 0x01, a, 20);
    hmac_init(&c->rtp_mac, a, 20);
    kdf(&master, salt, 0x02, c->rtp_salt, 14);
    kdf(&master, salt, 0x03, k, 16);
    aes_expand(&c->rtcp_aes, k);
    kdf(&master, salt, 0x04, a, 20);
    hmac_init(&c->rtcp_mac, a, 20);
    kdf(&master, salt, 0x05, c->rtcp_salt, 14);
    memset(&master, 0, sizeof master);
    memset(k, 0, sizeof k);
    memset(a, 0, sizeof a);
  }
  if (aead) {
    ghash_init(&c->rtp_gh, &c->rtp_aes);
    ghash_init(&c->rtcp_gh, &c->rtcp_aes);
  }
  c->aead = aead;
  c->tag_len = tag_len;
  c->rtcp_trailer = aead ? GCM_TAG_LEN + 4 : 4 + SRTCP_TAG_LEN;
  c->window = window;
  napi_value ext;
  if (napi_create_external(env, c, ctx_finalize, NULL, &ext) != napi_ok) {
    ctx_release(c);
    free(c);
    return NULL;
  }
  /* tell V8 what a context weighs, so closed calls' contexts are collected in time */
  int64_t ignored;
  napi_adjust_external_memory(env, (int64_t)sizeof(srtp_ctx), &ignored);
  return ext;
}

typedef long (*transform_fn)(srtp_ctx *c, uint8_t *p, long len);

/*
 * (ctx, u8, offset, len) → result. `room` bytes after the packet must exist
 * (protect); out-of-range arguments throw a RangeError for protect and give
 * SRTP_ERR_MALFORMED for unprotect (which never throws on packet input).
 */
static napi_value run_transform(napi_env env, napi_callback_info info, transform_fn fn, int protect, int rtcp) {
  size_t argc = 4;
  napi_value argv[4];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) { napi_throw_type_error(env, NULL, "expected (ctx, u8, offset, len)"); return NULL; }
  srtp_ctx *c = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !c) {
    napi_throw_type_error(env, NULL, "expected an SRTP context");
    return NULL;
  }
  if (c->freed) { napi_throw_error(env, "ERR_SRTP_FREED", "SRTP context was freed"); return NULL; }
  size_t blen;
  uint8_t *buf = u8_arg(env, argv[1], &blen);
  if (!buf) return NULL;
  int64_t off, len;
  NARG(napi_get_value_int64(env, argv[2], &off), "offset must be a number");
  NARG(napi_get_value_int64(env, argv[3], &len), "length must be a number");
  long r;
  int64_t room = protect ? (rtcp ? c->rtcp_trailer : c->tag_len) : 0;
  if (off < 0 || len < 0 || off > (int64_t)blen || len > (int64_t)blen - off || len > 0x7fffffff) {
    if (protect) { napi_throw_range_error(env, NULL, "packet offset/length outside the buffer"); return NULL; }
    r = SRTP_ERR_MALFORMED;
  } else if (protect && (int64_t)blen - off - len < room) {
    napi_throw_range_error(env, NULL, "no room for the SRTP tag after the packet");
    return NULL;
  } else {
    r = fn(c, buf + off, (long)len);
  }
  napi_value out;
  NCHECK(napi_create_int32(env, (int32_t)r, &out));
  return out;
}

static napi_value js_protect_rtp(napi_env env, napi_callback_info info) { return run_transform(env, info, protect_rtp, 1, 0); }
static napi_value js_unprotect_rtp(napi_env env, napi_callback_info info) { return run_transform(env, info, unprotect_rtp, 0, 0); }
static napi_value js_protect_rtcp(napi_env env, napi_callback_info info) { return run_transform(env, info, protect_rtcp, 1, 1); }
static napi_value js_unprotect_rtcp(napi_env env, napi_callback_info info) { return run_transform(env, info, unprotect_rtcp, 0, 1); }

static napi_value js_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srtp_ctx *c = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !c) {
    napi_throw_type_error(env, NULL, "expected an SRTP context");
    return NULL;
  }
  ctx_release(c); /* memory itself goes with the finalizer */
  return NULL;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, a, s, g;
  NCHECK(napi_create_object(env, &o));
  NCHECK(napi_create_string_utf8(env, have_aesni && accel_enabled ? "aesni" : "table", NAPI_AUTO_LENGTH, &a));
  NCHECK(napi_create_string_utf8(env, have_shani && accel_enabled ? "shani" : "c", NAPI_AUTO_LENGTH, &s));
  NCHECK(napi_set_named_property(env, o, "aes", a));
  NCHECK(napi_set_named_property(env, o, "sha1", s));
  NCHECK(napi_create_string_utf8(env, have_clmul && accel_enabled ? "pclmul" : "table", NAPI_AUTO_LENGTH, &g));
  NCHECK(napi_set_named_property(env, o, "ghash", g));
  return o;
}

static napi_value js_set_accel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool on = true;
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) NARG(napi_get_value_bool(env, argv[0], &on), "expected a boolean");
  /* Process-wide, for tests; contexts keep what they were created with. */
  accel_enabled = on ? 1 : 0;
  return NULL;
}

static napi_value js_aes_cm_xor(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) { napi_throw_type_error(env, NULL, "srtpAesCmXor(key, iv, data)"); return NULL; }
  size_t kl, il, dl;
  uint8_t *k = u8_arg(env, argv[0], &kl);
  if (!k) return NULL;
  uint8_t *iv = u8_arg(env, argv[1], &il);
  if (!iv) return NULL;
  uint8_t *d = u8_arg(env, argv[2], &dl);
  if (!d) return NULL;
  if (kl != 16 || il != 16 || iv[14] || iv[15] || dl > 16 * 65536) {
    napi_throw_range_error(env, NULL, "key 16 bytes, IV 16 bytes ending in 0000, data ≤ 2^20 bytes");
    return NULL;
  }
  aes_key ak;
  aes_expand(&ak, k);
  ctr_xor(&ak, iv, 0, d, dl);
  return NULL;
}

static napi_value js_aes_gcm(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) { napi_throw_type_error(env, NULL, "srtpAesGcm(key, iv, aad, data, tag)"); return NULL; }
  size_t kl, il, al, dl, tl;
  uint8_t *k = u8_arg(env, argv[0], &kl);
  if (!k) return NULL;
  uint8_t *iv12 = u8_arg(env, argv[1], &il);
  if (!iv12) return NULL;
  uint8_t *aad = u8_arg(env, argv[2], &al);
  if (!aad) return NULL;
  uint8_t *d = u8_arg(env, argv[3], &dl);
  if (!d) return NULL;
  uint8_t *t = u8_arg(env, argv[4], &tl);
  if (!t) return NULL;
  if (kl != 16 || il != 12 || tl < 16 || dl > 16 * 65534) {
    napi_throw_range_error(env, NULL, "key 16 bytes, IV 12 bytes, tag ≥ 16 bytes, data < 2^20 bytes");
    return NULL;
  }
  aes_key ak;
  ghash_key gk;
  aes_expand(&ak, k);
  ghash_init(&gk, &ak);
  uint8_t iv[16];
  memcpy(iv, iv12, 12);
  iv[12] = iv[13] = iv[14] = iv[15] = 0;
  ctr_xor(&ak, iv, 2, d, dl);
  gcm_tag(&ak, &gk, iv, aad, al, NULL, 0, d, dl, t);
  return NULL;
}

static napi_value js_derive_keys(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) { napi_throw_type_error(env, NULL, "srtpDeriveKeys(key, salt, out)"); return NULL; }
  size_t kl, sl, ol;
  uint8_t *k = u8_arg(env, argv[0], &kl);
  if (!k) return NULL;
  uint8_t *s = u8_arg(env, argv[1], &sl);
  if (!s) return NULL;
  uint8_t *o = u8_arg(env, argv[2], &ol);
  if (!o) return NULL;
  if (kl != 16 || sl != 14 || ol < 100) { napi_throw_range_error(env, NULL, "key 16, salt 14, out ≥ 100 bytes"); return NULL; }
  aes_key m;
  aes_expand(&m, k);
  static const struct { uint8_t label; uint8_t len; } parts[6] = { { 0, 16 }, { 1, 20 }, { 2, 14 }, { 3, 16 }, { 4, 20 }, { 5, 14 } };
  for (int i = 0; i < 6; i++) {
    kdf(&m, s, parts[i].label, o, parts[i].len);
    o += parts[i].len;
  }
  return NULL;
}

static napi_value js_hmac_sha1(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) { napi_throw_type_error(env, NULL, "srtpHmacSha1(key, data, out)"); return NULL; }
  size_t kl, dl, ol;
  uint8_t *k = u8_arg(env, argv[0], &kl);
  if (!k) return NULL;
  uint8_t *d = u8_arg(env, argv[1], &dl);
  if (!d) return NULL;
  uint8_t *o = u8_arg(env, argv[2], &ol);
  if (!o) return NULL;
  if (ol < 20) { napi_throw_range_error(env, NULL, "out must hold 20 bytes"); return NULL; }
  hmac_key h;
  hmac_init(&h, k, kl);
  hmac_sha1(&h, d, dl, NULL, 0, o);
  return NULL;
}

/* Adds the SRTP functions to the addon's exports (called from udp-pump.c's init). */
napi_value tandem_srtp_init(napi_env env, napi_value exports);
napi_value tandem_srtp_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "srtpCreate", NULL, js_create, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpProtectRtp", NULL, js_protect_rtp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpUnprotectRtp", NULL, js_unprotect_rtp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpProtectRtcp", NULL, js_protect_rtcp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpUnprotectRtcp", NULL, js_unprotect_rtcp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpFree", NULL, js_free, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpInfo", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpSetAccel", NULL, js_set_accel, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpAesCmXor", NULL, js_aes_cm_xor, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpAesGcm", NULL, js_aes_gcm, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpDeriveKeys", NULL, js_derive_keys, NULL, NULL, NULL, napi_enumerable, NULL },
    { "srtpHmacSha1", NULL, js_hmac_sha1, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  NCHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
