/**
 * The hub's own tunnel identity, made at its first start with a tunnel and kept in DATA/tunnel/:
 * - `hub.key` (0600): its WireGuard private key (node:crypto X25519);
 * - `enrol-key.pem` (0600) and `enrol-cert.pem`: the self-signed certificate of the HTTPS
 *   enrolment listener (RSA 2048 from node:crypto, certificate built and signed with node-forge:
 *   Node 20 cannot issue X.509 certificates). Agents do not check it against a CA: they compare
 *   its SHA-256 pin with the one in their enrolment token.
 * Contract: `ensureHubIdentity` creates what is missing (the WireGuard key by exclusive create;
 * the caller holds the data directory's lock) and otherwise returns what is on disk, unchanged, so the pins and the
 * public key in tokens already issued stay valid across restarts.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { pinOfPem } from '../../lib/cert-pin.ts';
import { generatePrivateKey, publicKeyOf, isWireGuardKey } from '../wireguard/keys.ts';

export interface HubIdentity {
  wgPrivateKey: string;
  wgPublicKey: string;
  tlsKeyPem: string;
  tlsCertPem: string;
  /** SHA-256 of the certificate (DER), lowercase hex. */
  certSha256: string;
}

/** Writes `data` to a new file; false (and nothing written) when the file already exists. */
async function createExclusive(path: string, data: string, mode: number): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/** A self-signed server certificate for `names` (DNS names or IP addresses), valid ten years. */
export function selfSignedCertificate(names: string[], now = new Date()): { keyPem: string; certPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - 3600_000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 86400_000);
  const subject = [{ name: 'commonName', value: 'Relais hub enrolment' }, { name: 'organizationName', value: 'Relais' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = names.map((n) => (/^[0-9.]+$/.test(n) || n.includes(':') ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { keyPem, certPem: forge.pki.certificateToPem(cert) };
}

export async function ensureHubIdentity(tunnelDir: string, opts: { certNames?: string[] } = {}): Promise<HubIdentity> {
  const keyFile = join(tunnelDir, 'hub.key');
  const tlsKeyFile = join(tunnelDir, 'enrol-key.pem');
  const certFile = join(tunnelDir, 'enrol-cert.pem');
  let created = await createExclusive(keyFile, `${generatePrivateKey()}\n`, 0o600);
  const wgPrivateKey = (await readFile(keyFile, 'utf8')).trim();
  if (!isWireGuardKey(wgPrivateKey)) throw new Error(`${keyFile} does not hold a WireGuard private key`);
  let tlsKeyPem: string;
  let tlsCertPem: string;
  try {
    tlsKeyPem = await readFile(tlsKeyFile, 'utf8');
    tlsCertPem = await readFile(certFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Missing (first start, or a start that died between the two files): make both again. The
    // key first, so a certificate on disk always has its key. (The hub holds DATA's lock.)
    const made = selfSignedCertificate(opts.certNames ?? []);
    await writeFileDurable(tlsKeyFile, made.keyPem, { mode: 0o600 });
    await writeFileDurable(certFile, made.certPem, { mode: 0o644 });
    created = true;
    tlsKeyPem = made.keyPem;
    tlsCertPem = made.certPem;
  }
  if (created) await fsyncDir(tunnelDir);
  return { wgPrivateKey, wgPublicKey: publicKeyOf(wgPrivateKey), tlsKeyPem, tlsCertPem, certSha256: pinOfPem(tlsCertPem) };
}
