export { ControllerLink, LinkClosedError, type LinkOptions, type LinkState, type LinkStats, type Unsolicited, type VersionReply } from './link';
export { serialTransport, tcpTransport, transportOf, type Transport } from './transport';
