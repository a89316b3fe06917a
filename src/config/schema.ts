/**
 * The configuration schema: one tree of typed fields with defaults and docs.
 * `load-config.ts` validates file + environment against it; docs/configuration.md
 * is generated from it (`npx tandem config --docs`), so the two cannot drift.
 */

export type FieldSpec =
  | { kind: 'string'; default: string; doc: string; pattern?: RegExp; patternDoc?: string; secret?: boolean; allowEmpty?: boolean }
  | { kind: 'int'; default: number; doc: string; min: number; max: number }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string; doc: string; values: readonly string[] }
  | { kind: 'list'; default: readonly string[]; doc: string; pattern?: RegExp; patternDoc?: string; minItems?: number; uniqueItems?: boolean }
  | RecordsSpec;

/**
 * A field inside a record. `required` fields must be present; an absent optional field
 * takes its default (an absent optional `object` field becomes `null` unless it has `fields` defaults
 * and `nullable` is false).
 */
export type RecordFieldSpec =
  | (Exclude<FieldSpec, RecordsSpec> & { required?: boolean })
  | { kind: 'object'; doc: string; fields: Record<string, RecordFieldSpec>; required?: boolean; nullable?: boolean };

/**
 * A list of objects (users, trunks, dial plan rules), each validated field by field.
 * Errors name the item, e.g. `users[2].password`. `unique` names a field whose value
 * must differ between items (e.g. `name`). Records cannot be set from the environment.
 */
export interface RecordsSpec {
  kind: 'records';
  default: ReadonlyArray<Readonly<Record<string, unknown>>>;
  doc: string;
  item: Record<string, RecordFieldSpec>;
  unique?: string;
}

export interface GroupSpec {
  doc: string;
  fields: Record<string, FieldSpec | GroupSpec>;
}

export function isGroup(s: FieldSpec | GroupSpec): s is GroupSpec {
  return (s as GroupSpec).fields !== undefined;
}

const LISTEN = /^(udp|tcp|tls|ws|wss):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CODEC = /^[A-Za-z0-9._-]{1,32}$/;
const HOSTPORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
const REALM = /^[^"\\\r\n]{1,128}$/;
const SIP_URI = /^sips?:[^\s<>"]+$/;
const HOST = /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9.-]+)$/;
const WS_URL = /^wss?:\/\/[^\s"'<>]+$/;
const ICE_URL = /^(stun|stuns|turn|turns):[^\s"'<>]+$/;
const SRTP_PROFILE = /^(AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM)$/;

/** The whole schema. Defaults work on a laptop: everything binds to loopback. */
export const schema: GroupSpec = {
  doc: 'Tandem configuration',
  fields: {
    log: {
      doc: 'Logging (pino). Keys, passwords and ice-pwd are always redacted.',
      fields: {
        level: { kind: 'enum', default: 'info', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'Minimum level written.' },
        pretty: { kind: 'bool', default: false, doc: 'Human-readable lines instead of JSON lines.' },
      },
    },
    http: {
      doc: 'HTTP server: /healthz and the demo softphone page (see the web section); later /metrics.',
      fields: {
        host: { kind: 'string', default: '127.0.0.1', pattern: HOST, patternDoc: 'an IP address or host name', doc: 'Bind address. Loopback by default; use 0.0.0.0 to expose it.' },
        port: { kind: 'int', default: 8080, min: 0, max: 65535, doc: 'TCP port (0 = any free port).' },
      },
    },
    web: {
      doc: 'The demo softphone page (GET /) and /config.json, served on http.port and, with a certificate, over HTTPS (browsers allow getUserMedia only on HTTPS or localhost origins).',
      fields: {
        enabled: { kind: 'bool', default: true, doc: 'Serve the demo page, its bundle and /config.json (false: only /healthz).' },
        httpsPort: { kind: 'int', default: 8443, min: 0, max: 65535, doc: 'HTTPS port for the same content; HTTPS listens only when tlsCert and tlsKey are set (0 = any free port).' },
        tlsCert: { kind: 'string', default: '', allowEmpty: true, doc: 'PEM certificate file for HTTPS (scripts/dev-cert.sh makes a self-signed one for development).' },
        tlsKey: { kind: 'string', default: '', allowEmpty: true, doc: 'PEM private key file for HTTPS.' },
        publicWsUrls: {
          kind: 'list', default: [], pattern: WS_URL, patternDoc: 'a ws:// or wss:// URL',
          doc: 'SIP-over-WebSocket URLs the page offers (first = default). Empty: derived per request from the ws:/wss: entries of sip.listen and the host name the browser used. Environment form: comma separated.',
        },
        iceServers: {
          kind: 'records', default: [],
          doc: 'STUN/TURN servers handed to the page (RTCPeerConnection iceServers). Default none: fine on a LAN or when Tandem has a public address.',
          item: {
            urls: { kind: 'list', default: [], required: true, minItems: 1, pattern: ICE_URL, patternDoc: 'a stun:, stuns:, turn: or turns: URL', doc: 'Server URLs, e.g. turn:turn.example.com:3478?transport=udp.' },
            username: { kind: 'string', default: '', allowEmpty: true, doc: 'Static TURN user name (served to every page visitor).' },
            credential: { kind: 'string', default: '', allowEmpty: true, secret: true, doc: 'Static TURN password (served to every page visitor: prefer authSecret).' },
            authSecret: { kind: 'string', default: '', allowEmpty: true, secret: true, doc: 'TURN REST API shared secret (coturn `static-auth-secret`): each /config.json gets a fresh time-limited user name and HMAC-SHA1 credential instead of username/credential.' },
            ttlSeconds: { kind: 'int', default: 86400, min: 60, max: 604800, doc: 'Lifetime of credentials made with authSecret.' },
          },
        },
      },
    },
    sip: {
      doc: 'The embedded SIP server (used when drachtio.mode is "embedded").',
      fields: {
        listen: {
          kind: 'list', default: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060', 'ws:127.0.0.1:8088'], minItems: 1,
          pattern: LISTEN, patternDoc: 'TRANSPORT:HOST:PORT with TRANSPORT one of udp, tcp, tls, ws, wss (IPv6 hosts in brackets)',
          doc: 'SIP listeners. Environment form: comma separated.',
        },
        tlsCert: { kind: 'string', default: '', allowEmpty: true, doc: 'PEM certificate file for tls: and wss: listeners.' },
        tlsKey: { kind: 'string', default: '', allowEmpty: true, doc: 'PEM private key file for tls: and wss: listeners.' },
        maxMessageBytes: { kind: 'int', default: 65535, min: 1024, max: 1048576, doc: 'Largest SIP message accepted; larger ones get 413 or are dropped.' },
        packetIo: { kind: 'enum', default: 'native', values: ['native', 'node'], doc: 'SIP over UDP socket I/O: "native" = the UDP pump of Tandem\'s native addon (src/native: epoll + recvmmsg batches, one sendmmsg per batch; IPv4 listeners), falling back to node:dgram with a warning when the addon is not built or the listener is IPv6; "node" = node:dgram. The startup log says which one is used.' },
      },
    },
    drachtio: {
      doc: 'Where the drachtio-srf application finds its SIP server.',
      fields: {
        mode: { kind: 'enum', default: 'embedded', values: ['embedded', 'remote'], doc: '"embedded": Tandem runs its own drachtio-compatible SIP server in process. "remote": connect to a real drachtio-server.' },
        host: { kind: 'string', default: '127.0.0.1', pattern: HOST, patternDoc: 'an IP address or host name', doc: 'drachtio control address (listen address when embedded, server address when remote).' },
        port: { kind: 'int', default: 9022, min: 0, max: 65535, doc: 'drachtio control port.' },
        secret: { kind: 'string', default: '', allowEmpty: true, secret: true, doc: 'Shared secret for the drachtio control connection. Embedded mode with an empty secret generates a random one at start; remote mode requires it.' },
      },
    },
    media: {
      doc: 'The media plane (worker threads relaying and transcoding RTP).',
      fields: {
        workers: { kind: 'int', default: 0, min: 0, max: 256, doc: 'Media worker threads; 0 = one per core.' },
        bindAddress: { kind: 'string', default: '127.0.0.1', pattern: HOST, patternDoc: 'an IP address', doc: 'Address media sockets bind to.' },
        announcedAddress: { kind: 'string', default: '', allowEmpty: true, pattern: HOST, patternDoc: 'an IP address', doc: 'Address written into SDP and ICE candidates (public address behind 1:1 NAT); empty = bindAddress.' },
        portMin: { kind: 'int', default: 40000, min: 1024, max: 65534, doc: 'Lowest UDP port for media.' },
        portMax: { kind: 'int', default: 49999, min: 1025, max: 65535, doc: 'Highest UDP port for media.' },
        iceLite: { kind: 'bool', default: false, doc: 'Answer browsers as an ICE-lite agent (public address deployments).' },
        rtpTimeoutSeconds: { kind: 'int', default: 60, min: 0, max: 3600, doc: 'End a call when no RTP arrives for this long (0 = never).' },
        opusComplexity: { kind: 'int', default: 5, min: 0, max: 10, doc: 'Opus encoder complexity when transcoding.' },
        workerKind: { kind: 'enum', default: 'thread', values: ['thread', 'process'], doc: 'How media workers run: "thread" (worker threads, WASM Opus encoder) or "process" (a child process per worker, native Opus encoder: ~10–20 % less CPU when transcoding, at the cost of a process per core).' },
        packetIo: { kind: 'enum', default: 'native', values: ['native', 'node'], doc: 'Media socket I/O: "native" = Tandem\'s UDP pump addon (src/native: epoll + recvmmsg batches, one JS callback per batch, batched sends; IPv4), falling back to node:dgram with a warning when the addon is not built or does not load; "node" = node:dgram (one syscall and callback per datagram). The startup log says which one the workers use.' },
        srtpProfiles: {
          kind: 'list', default: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'], minItems: 1, uniqueItems: true,
          pattern: SRTP_PROFILE, patternDoc: 'AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM',
          doc: 'DTLS-SRTP protection profiles accepted from browsers (RFC 5764 use_srtp; AEAD_AES_128_GCM is RFC 7714), in preference order. When Tandem is the DTLS server (calls to a browser: Tandem offers setup:actpass and the browser answers setup:active) it picks the first one the browser offers; when it is the DTLS client (calls from a browser, answered with setup:active) the browser picks among them (Chromium 156 picks AES_CM_128_HMAC_SHA1_80). Both run in the native SRTP code (AES-NI + PCLMULQDQ for GCM) at about the same cost per packet; GCM costs several times more on the node:crypto fallback (media.srtpImpl: node, or the addon not built) and adds 6 bytes per packet. List only AES_CM_128_HMAC_SHA1_80 to never use GCM.',
        },
        srtpImpl: { kind: 'enum', default: 'native', values: ['native', 'node'], doc: 'SRTP/SRTCP implementation of the media workers: "native" = Tandem\'s C code in the native addon (src/native/srtp.c: AES-NI/SHA-NI when the CPU has them, else portable C), falling back to node:crypto with a warning when the addon is not built or predates SRTP; "node" = node:crypto. Same packets either way; the startup log says which one the workers use.' },
      },
    },
    auth: {
      doc: 'Authentication: SIP digest (RFC 3261 §22, RFC 7616) for phones and users, an HMAC token for browsers. Secrets are never logged.',
      fields: {
        realm: { kind: 'string', default: 'tandem.local', pattern: REALM, patternDoc: 'a realm without quotes or backslashes', doc: 'Digest realm in challenges (RFC 3261 §22.1). HA1 values in users[] are computed with it.' },
        digestAlgorithm: { kind: 'enum', default: 'MD5', values: ['MD5', 'SHA-256'], doc: 'Digest algorithm challenged and accepted. One challenge per response (drachtio carries one header per name); MD5 is what most phones and SIPp speak.' },
        nonceTtlSeconds: { kind: 'int', default: 300, min: 10, max: 86400, doc: 'Nonce lifetime; an older nonce gets a new challenge with stale=true.' },
        tokenSecret: { kind: 'string', default: '', allowEmpty: true, secret: true, pattern: /^.{16,}$/, patternDoc: 'at least 16 characters', doc: 'HMAC secret for browser tokens (`?token=` on the WebSocket URL or the `tandem_token` cookie). Empty disables tokens.' },
      },
    },
    registrar: {
      doc: 'The registrar (RFC 3261 §10.3).',
      fields: {
        minExpires: { kind: 'int', default: 60, min: 1, max: 86400, doc: 'Shorter registrations get 423 Interval Too Brief with Min-Expires.' },
        maxExpires: { kind: 'int', default: 3600, min: 1, max: 604800, doc: 'Longer registrations are shortened to this.' },
        defaultExpires: { kind: 'int', default: 3600, min: 1, max: 604800, doc: 'Expiry when the REGISTER names none.' },
      },
    },
    calls: {
      doc: 'Call limits (every answered call, both legs).',
      fields: {
        maxDurationSeconds: {
          kind: 'int', default: 14400, min: 0, max: 604800,
          doc: 'An answered call is ended (BYE on both legs, media freed) after this long; 0 = no limit.',
        },
        sessionExpiresSeconds: {
          kind: 'int', default: 1800, min: 0, max: 86400,
          doc: 'Session timer (RFC 4028) offered on every B-leg INVITE: `Session-Expires: <value>` with `Supported: timer`. The SIP server (embedded or drachtio-server) then refreshes the session or sends BYE when the callee stops refreshing, and the call ends on both legs. 0 = no session timer; 1–89 are raised to 90 (the RFC 4028 minimum).',
        },
      },
    },
    users: {
      kind: 'records', default: [], unique: 'name',
      doc: 'Local SIP users (phones, softphones, browsers). Each authenticates with digest as `name`; the AOR is `sip:name@auth.realm`.',
      item: {
        name: { kind: 'string', default: '', required: true, pattern: NAME, patternDoc: 'letters, digits, . _ - (up to 64)', doc: 'User name (digest username and AOR user part).' },
        password: { kind: 'string', default: '', allowEmpty: true, secret: true, doc: 'Digest password. Give exactly one of password or ha1.' },
        ha1: { kind: 'string', default: '', allowEmpty: true, secret: true, pattern: /^([0-9a-f]{32}|[0-9a-f]{64})$/, patternDoc: 'lower-case hex MD5 (32) or SHA-256 (64) of name:realm:password', doc: 'Stored H(name:realm:password) for auth.digestAlgorithm, instead of password.' },
        profile: { kind: 'string', default: '', allowEmpty: true, pattern: NAME, patternDoc: 'a profile name', doc: 'Peer profile. Empty: `browser` for bindings made over ws/wss, `deskphone` otherwise.' },
        contact: { kind: 'string', default: '', allowEmpty: true, pattern: SIP_URI, patternDoc: 'a sip: or sips: URI', doc: 'Static contact for desk phones that do not register (e.g. sip:1001@192.0.2.10:5060).' },
      },
    },
    profiles: {
      kind: 'records', default: [], unique: 'name',
      doc: 'Peer profiles: how Tandem talks media to a kind of peer. Built in: `browser` (webrtc, opus), `deskphone` (avp, G.711), `trunk` (avp, G.711); an entry with a built-in name replaces it.',
      item: {
        name: { kind: 'string', default: '', required: true, pattern: NAME, patternDoc: 'letters, digits, . _ -', doc: 'Profile name, referenced by users[].profile and trunks[].profile.' },
        media: { kind: 'enum', default: 'avp', values: ['webrtc', 'avp', 'sdes', 'sdes-optional'], doc: 'webrtc: ICE + DTLS-SRTP (RTP/SAVPF); avp: plain RTP/AVP; sdes: RTP/SAVP with a=crypto (RFC 4568); sdes-optional: RTP/AVP offer carrying a=crypto.' },
        codecs: {
          kind: 'object', doc: 'Codecs.',
          fields: {
            allow: { kind: 'list', default: ['PCMU', 'PCMA'], minItems: 1, pattern: CODEC, patternDoc: 'a codec name', doc: 'Codecs this peer may use (telephone-event is governed by dtmf).' },
            prefer: { kind: 'list', default: [], pattern: CODEC, patternDoc: 'a codec name', doc: 'Preferred order, first wins; must be among allow.' },
          },
        },
        transcoding: { kind: 'enum', default: 'prefer-passthrough', values: ['prefer-passthrough', 'prefer-opus'], doc: 'prefer-passthrough: choose a codec both legs share; prefer-opus: keep Opus on this leg and transcode.' },
        dtmf: { kind: 'enum', default: 'rfc4733', values: ['rfc4733', 'info', 'both'], doc: 'DTMF: RFC 4733 telephone-event, SIP INFO, or both.' },
        ptime: { kind: 'int', default: 20, min: 10, max: 120, doc: 'Packet time, ms.' },
        ice: { kind: 'enum', default: 'full', values: ['lite', 'full'], doc: 'ICE role for webrtc media (ignored otherwise).' },
      },
    },
    trunks: {
      kind: 'records', default: [], unique: 'name',
      doc: 'SIP trunks (carriers, PBXs). Inbound requests are accepted as a trunk only from one of its addresses.',
      item: {
        name: { kind: 'string', default: '', required: true, pattern: NAME, patternDoc: 'letters, digits, . _ -', doc: 'Trunk name, referenced by dial plan rules (`to: trunk:NAME`).' },
        addresses: { kind: 'list', default: [], required: true, minItems: 1, pattern: HOSTPORT, patternDoc: 'HOST or HOST:PORT', doc: 'Addresses in failover order. Inbound requests must come from one of these hosts.' },
        transport: { kind: 'enum', default: 'udp', values: ['udp', 'tcp', 'tls'], doc: 'Transport towards the trunk.' },
        profile: { kind: 'string', default: 'trunk', pattern: NAME, patternDoc: 'a profile name', doc: 'Peer profile of the trunk.' },
        register: {
          kind: 'object', nullable: true, doc: 'Register to the trunk (outbound registration); absent = no registration.',
          fields: {
            user: { kind: 'string', default: '', required: true, doc: 'Registration user.' },
            password: { kind: 'string', default: '', required: true, secret: true, doc: 'Registration password.' },
            expires: { kind: 'int', default: 3600, min: 60, max: 86400, doc: 'Requested expiry, s.' },
          },
        },
        optionsPingSeconds: { kind: 'int', default: 0, min: 0, max: 3600, doc: 'OPTIONS keep-alive interval for failover (0 = off).' },
        callerId: {
          kind: 'object', doc: 'Caller ID rules (RFC 3325).',
          fields: {
            assert: { kind: 'bool', default: false, doc: 'Send P-Asserted-Identity with the caller\'s number on calls to the trunk.' },
            trust: { kind: 'bool', default: false, doc: 'Take the calling number from P-Asserted-Identity on calls from the trunk.' },
            defaultNumber: { kind: 'string', default: '', allowEmpty: true, pattern: /^\+?[0-9]{1,20}$/, patternDoc: 'a number, digits with an optional +', doc: 'Calling number used towards the trunk when the caller has none (e.g. a browser user).' },
          },
        },
      },
    },
    groups: {
      kind: 'records', default: [], unique: 'name',
      doc: 'Ring groups, reached with a dial plan rule `to: group:NAME` (e.g. an inbound DID from a trunk). `parallel` rings every registered contact (and static contact) of every member at once: one INVITE per target (RFC 3261 §16.6 forking done by the B2BUA), the first 2xx wins and the other legs get CANCEL. `sequential` hunts member by member in list order (all contacts of one member ring together), moving on after memberTimeoutSeconds or when the member rejects. A member without a reachable contact is skipped. A 6xx (e.g. 603 Decline) from any leg ends the ringing. When every leg fails the caller gets the best final response (RFC 3261 §16.7: 486 Busy over other 4xx over 480 / no answer, 4xx over 5xx).',
      item: {
        name: { kind: 'string', default: '', required: true, pattern: NAME, patternDoc: 'letters, digits, . _ - (up to 64)', doc: 'Group name, referenced by dial plan rules (`to: group:NAME`).' },
        members: { kind: 'list', default: [], required: true, minItems: 1, pattern: NAME, patternDoc: 'a user name', doc: 'Member user names (users[].name), in hunt order for sequential ringing.' },
        ring: { kind: 'enum', default: 'parallel', values: ['parallel', 'sequential'], doc: 'parallel: ring all members at once; sequential: one member after the other.' },
        memberTimeoutSeconds: { kind: 'int', default: 20, min: 1, max: 600, doc: 'Sequential ringing: how long one member rings before the next member is tried (its legs get CANCEL).' },
        timeoutSeconds: { kind: 'int', default: 60, min: 0, max: 3600, doc: 'Longest the whole group rings before the caller gets 480 (all pending legs get CANCEL); 0 = no limit.' },
      },
    },
    dialplan: {
      doc: 'The dial plan: ordered rules, deny by default. Numbers are normalized to E.164 for trunk rules.',
      fields: {
        countryCode: { kind: 'string', default: '', allowEmpty: true, pattern: /^[1-9][0-9]{0,2}$/, patternDoc: 'a country calling code without +', doc: 'Country code for E.164 normalization of national numbers (e.g. 44).' },
        nationalPrefix: { kind: 'string', default: '', allowEmpty: true, pattern: /^[0-9]{1,3}$/, patternDoc: 'digits', doc: 'National trunk prefix (e.g. 0).' },
        internationalPrefix: { kind: 'string', default: '', allowEmpty: true, pattern: /^[0-9]{1,4}$/, patternDoc: 'digits', doc: 'International access prefix (e.g. 00, 011).' },
        rules: {
          kind: 'records', unique: 'name',
          default: [{ name: 'local users', from: ['user'], match: '[A-Za-z][A-Za-z0-9._-]*', strip: 0, prepend: '', to: 'user:$user' }],
          doc: 'Rules tried in order; the first match decides.',
          item: {
            name: { kind: 'string', default: '', required: true, doc: 'Rule name (logs, CDRs).' },
            from: { kind: 'list', default: ['user'], minItems: 1, pattern: /^(user|trunk)$/, patternDoc: 'user or trunk', doc: 'Who may use the rule: local users, inbound trunks, or both.' },
            match: { kind: 'string', default: '', required: true, doc: 'Regular expression on the dialed user part, anchored.' },
            strip: { kind: 'int', default: 0, min: 0, max: 32, doc: 'Digits removed from the front.' },
            prepend: { kind: 'string', default: '', allowEmpty: true, pattern: /^[+0-9]{0,16}$/, patternDoc: 'digits with an optional +', doc: 'Digits added in front after stripping.' },
            to: { kind: 'string', default: '', required: true, pattern: /^(user|endpoint|trunk|group):[^\s]+$/, patternDoc: 'user:NAME, endpoint:NAME, trunk:NAME or group:NAME ($user = the rewritten number)', doc: 'Destination.' },
          },
        },
      },
    },
  },
};

/** The validated configuration, frozen. Mirrors `schema`. */
export interface TandemConfig {
  log: { level: string; pretty: boolean };
  http: { host: string; port: number };
  web: { enabled: boolean; httpsPort: number; tlsCert: string; tlsKey: string; publicWsUrls: string[]; iceServers: IceServerConfig[] };
  sip: { listen: string[]; tlsCert: string; tlsKey: string; maxMessageBytes: number; packetIo: 'native' | 'node' };
  drachtio: { mode: 'embedded' | 'remote'; host: string; port: number; secret: string };
  media: {
    workers: number; bindAddress: string; announcedAddress: string; portMin: number; portMax: number;
    iceLite: boolean; rtpTimeoutSeconds: number; opusComplexity: number; workerKind: 'thread' | 'process'; packetIo: 'native' | 'node'; srtpImpl: 'native' | 'node';
    srtpProfiles: Array<'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM'>;
  };
  auth: { realm: string; digestAlgorithm: 'MD5' | 'SHA-256'; nonceTtlSeconds: number; tokenSecret: string };
  registrar: { minExpires: number; maxExpires: number; defaultExpires: number };
  calls: { maxDurationSeconds: number; sessionExpiresSeconds: number };
  users: UserConfig[];
  profiles: ProfileConfig[];
  trunks: TrunkConfig[];
  groups: GroupConfig[];
  dialplan: { countryCode: string; nationalPrefix: string; internationalPrefix: string; rules: DialRuleConfig[] };
}

/** Names of the peer profiles built into the app (src/app/profiles). */
export const BUILTIN_PROFILE_NAMES: readonly string[] = ['browser', 'deskphone', 'trunk'];

/** web.iceServers[] entry: `authSecret` (TURN REST API) wins over static username/credential. */
export interface IceServerConfig { urls: string[]; username: string; credential: string; authSecret: string; ttlSeconds: number }

/** users[] entry. Exactly one of password / ha1 is non-empty. */
export interface UserConfig { name: string; password: string; ha1: string; profile: string; contact: string }

/** profiles[] entry. */
export interface ProfileConfig {
  name: string;
  media: 'webrtc' | 'avp' | 'sdes' | 'sdes-optional';
  codecs: { allow: string[]; prefer: string[] };
  transcoding: 'prefer-passthrough' | 'prefer-opus';
  dtmf: 'rfc4733' | 'info' | 'both';
  ptime: number;
  ice: 'lite' | 'full';
}

/** trunks[] entry. */
export interface TrunkConfig {
  name: string;
  addresses: string[];
  transport: 'udp' | 'tcp' | 'tls';
  profile: string;
  register: { user: string; password: string; expires: number } | null;
  optionsPingSeconds: number;
  callerId: { assert: boolean; trust: boolean; defaultNumber: string };
}

/** groups[] entry: a ring group (dial plan target `group:NAME`). */
export interface GroupConfig {
  name: string;
  members: string[];
  ring: 'parallel' | 'sequential';
  memberTimeoutSeconds: number;
  timeoutSeconds: number;
}

/** dialplan.rules[] entry; `to` is `user:…`, `endpoint:…`, `trunk:…` or `group:…`. */
export interface DialRuleConfig { name: string; from: Array<'user' | 'trunk'>; match: string; strip: number; prepend: string; to: string }
