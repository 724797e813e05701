import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduGuard } from './pdu-guard.ts';
import { decidePresentation, VERIFICATION_SOP_CLASS } from './presentation.ts';

function pdu(type: number, length: number): Buffer {
  const b = Buffer.alloc(6 + Math.min(length, 16));
  b[0] = type;
  b.writeUInt32BE(length, 2);
  return b;
}

test('the PDU guard lets well-formed PDUs through, split anywhere, and stops huge or unknown ones', () => {
  const g = new PduGuard(1024);
  const stream = Buffer.concat([pdu(0x01, 16), pdu(0x04, 16), pdu(0x04, 16)]);
  for (let i = 0; i < stream.length; i += 5) assert.equal(g.feed(stream.subarray(i, i + 5)), undefined);
  assert.match(new PduGuard(1024).feed(pdu(0x04, 0xffffffff)) ?? '', /above the limit/);
  assert.match(new PduGuard(1024).feed(Buffer.from('GET / HTTP/1.1\r\n')) ?? '', /unknown PDU type/);
});

test('storage SOP classes are accepted in the first known syntax proposed; others are refused', () => {
  const ct = '1.2.840.10008.5.1.4.1.1.2';
  assert.deepEqual(decidePresentation(ct, ['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.1']), { accept: true, transferSyntaxUid: '1.2.840.10008.1.2.4.80' });
  assert.deepEqual(decidePresentation(ct, ['1.2.3.4.5', '1.2.840.10008.1.2']), { accept: true, transferSyntaxUid: '1.2.840.10008.1.2' });
  assert.deepEqual(decidePresentation(ct, ['1.2.3.4.5']), { accept: false, reason: 'transfer-syntaxes-not-supported' });
  // Implicit first, Explicit offered too: Explicit VR LE, which the agent can compress.
  assert.deepEqual(decidePresentation(ct, ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']), { accept: true, transferSyntaxUid: '1.2.840.10008.1.2.1' });
  assert.deepEqual(decidePresentation('1.2.840.10008.5.1.4.1.2.1.1', ['1.2.840.10008.1.2']), { accept: false, reason: 'abstract-syntax-not-supported' });
  assert.deepEqual(decidePresentation(VERIFICATION_SOP_CLASS, ['1.2.840.10008.1.2']), { accept: true, transferSyntaxUid: '1.2.840.10008.1.2' });
  assert.equal(decidePresentation('1.2.840.10008.5.1.4.1.1.88.22', ['1.2.840.10008.1.2.1']).accept, true); // Enhanced SR
});
