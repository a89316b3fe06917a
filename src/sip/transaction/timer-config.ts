/** RFC 3261 §17 / Table 4 base timers, in milliseconds. */
export interface TimerConfig {
  /** RTT estimate. Default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4 s. */
  t2: number;
  /** Maximum duration a message remains in the network. Default 5 s. */
  t4: number;
  /** Timer D for unreliable transports (RFC 3261: "> 32 s"). Default 32000 ms. */
  timerD: number;
}

/** RFC 3261 defaults: T1 500 ms, T2 4 s, T4 5 s, D 32 s. */
export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({ t1: 500, t2: 4000, t4: 5000, timerD: 32000 });
