/**
 * Tandem's application layer: a drachtio-srf app (registrar, caller authentication, call
 * routing/planning). See docs/app.md.
 */
export { TandemApp, toDialRule, type AppConfig, type AppDeps } from './app.js';
export { Registrar, type RegistrarOptions, type RegisterOutcome } from './registrar/registrar.js';
export { MemoryRegistrarStore, type Binding, type RegistrarStore } from './registrar/registrar-store.js';
export { CallerAuthenticator, type Caller, type AuthVerdict, type CallerAuthOptions } from './auth/caller-auth.js';
export { DigestServer, digestHa1, digestResponse, parseDigestHeader, type DigestAlgorithm } from './auth/digest-server.js';
export { TokenAuth, type TokenClaims } from './auth/token-auth.js';
export { InviteHandler, type InviteHandlerOptions, type InviteOutcome } from './calls/invite-handler.js';
export { planCall, decideMedia, type CallPlan, type CalleeLegPlan, type LegPlan, type MediaDecision, type PlanCallInput } from './calls/plan-call.js';
export type { CallSessionFactory, CallSessionRequest } from './calls/call-session-factory.js';
export { DialPlan, normalizeE164, type DialRule, type RouteDecision, type RouteTarget } from './routing/dial-plan.js';
export { PeerProfiles, BUILTIN_PROFILES, type PeerProfile, type MediaProfile } from './profiles/peer-profiles.js';
export { TrunkDirectory, type Trunk } from './trunks/trunk-directory.js';
export { UserDirectory, type LocalUser } from './users/user-directory.js';
export { flowOf, flowKey, isWebSocket, type FlowId, type FlowMonitor, type FlowTokenSource } from './signaling/flow.js';
export { TransportFlowMonitor, type FlowEventSource } from './signaling/transport-flow-monitor.js';
export type { AppRequest, AppResponse, AppSrf } from './signaling/srf-types.js';
