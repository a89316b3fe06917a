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
  | { kind: 'list'; default: readonly string[]; doc: string; pattern?: RegExp; patternDoc?: string; minItems?: number };

export interface GroupSpec {
  doc: string;
  fields: Record<string, FieldSpec | GroupSpec>;
}

export function isGroup(s: FieldSpec | GroupSpec): s is GroupSpec {
  return (s as GroupSpec).fields !== undefined;
}

const LISTEN = /^(udp|tcp|tls|ws|wss):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const HOST = /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9.-]+)$/;

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
      doc: 'HTTP server: /healthz, later the demo page and metrics.',
      fields: {
        host: { kind: 'string', default: '127.0.0.1', pattern: HOST, patternDoc: 'an IP address or host name', doc: 'Bind address. Loopback by default; use 0.0.0.0 to expose it.' },
        port: { kind: 'int', default: 8080, min: 0, max: 65535, doc: 'TCP port (0 = any free port).' },
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
      },
    },
  },
};

/** The validated configuration, frozen. Mirrors `schema`. */
export interface TandemConfig {
  log: { level: string; pretty: boolean };
  http: { host: string; port: number };
  sip: { listen: string[]; tlsCert: string; tlsKey: string; maxMessageBytes: number };
  drachtio: { mode: 'embedded' | 'remote'; host: string; port: number; secret: string };
  media: {
    workers: number; bindAddress: string; announcedAddress: string; portMin: number; portMax: number;
    iceLite: boolean; rtpTimeoutSeconds: number; opusComplexity: number;
  };
}
