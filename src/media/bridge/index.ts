export { MediaBridge } from './media-bridge.js';
export type { MediaBridgeOptions, BridgeLegConfig, BridgeDirectionCounters, DtmfInOptions } from './bridge-options.js';
export { DtmfEndDetector } from './dtmf-end-detector.js';
export { DtmfGenerator, type DtmfGeneratorOptions, type DtmfOutput } from './dtmf-generator.js';
export type { BridgeJitterBuffer, JitterPop, JitterBufferFactory } from './jitter-buffer.js';
export { StreamRewriter, type OutputStreamState } from './stream-rewriter.js';
export { bridgeCodecOf, createFrameDecoder, createFrameEncoder, type BridgeCodec, type FrameDecoder, type FrameEncoder } from './frame-codec.js';
