/**
 * What the hub's app needs from its tunnel (HubTunnel implements it; tests may fake it): who is
 * behind a tunnel address, whether a site was asked for a new key, and the key rotation itself.
 * Absent (no `--wg-interface`): the hub serves on loopback or a LAN without address binding.
 */
import type { TunnelDirectory } from '../../provisioning/enrolment/peers.ts';
import type { TunnelKeyRotationAck } from '../../protocol/enrolment.ts';

export interface TunnelBinding {
  directory(): TunnelDirectory;
  rotationRequested(agentId: string): boolean;
  rotateKey(agentId: string, publicKey: string): Promise<{ ack: TunnelKeyRotationAck; siteId: string }>;
  /** The rotation answer has been sent: switch the peer to the new key. */
  releaseRotation(siteId: string): void;
}
