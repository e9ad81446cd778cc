export { ControllerLink, LinkClosedError, type LinkOptions, type LinkState, type LinkStats, type Unsolicited, type VersionReply } from './link';
export { closeControllerLinks, controllerLink, onControllerState } from './links';
export { ControllerError, SupervisorBridge, expectReply } from './supervisor-bridge';
export { serialTransport, tcpTransport, transportOf, type Transport } from './transport';
