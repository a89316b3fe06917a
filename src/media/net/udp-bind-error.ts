import { TandemError } from '../../common/errors.js';

/** Binding a media socket failed (port in use, bad address). */
export class UdpBindError extends TandemError {
  constructor(cause: unknown, data: Record<string, unknown>) {
    super('ERR_MEDIA_BIND', 'could not bind UDP media socket', { cause, data });
  }
}
