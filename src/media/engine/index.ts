export { MediaEngine, MediaEngineError, type MediaEngineOptions } from './media-engine.js';
export type * from './protocol.js';
export { NO_WEBRTC_PARAMS } from './protocol.js';
