export { ControllerLink, LinkClosedError, type LinkOptions, type LinkState, type LinkStats, type Unsolicited, type VersionReply } from './link';
export { LINK_ENV, closeControllerLinks, controllerLink, controllerLinks, linkOptionsFrom, onControllerState } from './links';
export { BoardAccess, ControllerError, boardRefusal, expectReply, runTag } from './board-access';
export { ClampingBridge } from './clamping-bridge';
export { EdgePhysicsBridge } from './edge-physics-bridge';
export { MeasurementBridge } from './measurement-bridge';
export { SupervisorBridge, type PulseTiming } from './supervisor-bridge';
export { takePulseTiming } from './pulse-timing';
export { serialTransport, tcpTransport, transportOf, type Transport } from './transport';
