export { ControllerLink, LinkClosedError, type LinkOptions, type LinkState, type LinkStats, type Unsolicited, type VersionReply } from './link';
export { LINK_ENV, closeControllerLinks, controllerLink, linkOptionsFrom, onControllerState } from './links';
export { ControllerError, SupervisorBridge, expectReply, type PulseTiming } from './supervisor-bridge';
export { serialTransport, tcpTransport, transportOf, type Transport } from './transport';
