import { TandemError } from '../common/errors.js';

/** Raised when a drachtio client sends bytes that are not a `length#message` frame (`ERR_DRACHTIO_FRAMING`). */
export class DrachtioFramingError extends TandemError {}
