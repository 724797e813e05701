import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultipartRelated, partHeader, closingDelimiter, boundaryOf } from './multipart.ts';

test('multipart/related bodies built here parse back to the same parts, binary-safe', () => {
  const boundary = 'b0undary';
  const a = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
  const b = Buffer.alloc(70_000, 7);
  const body = Buffer.concat([
    partHeader(boundary, { 'Content-Type': 'application/dicom' }, true), a,
    partHeader(boundary, { 'Content-Type': 'application/dicom' }, false), b,
    closingDelimiter(boundary),
  ]);
  const parts = parseMultipartRelated(body, boundaryOf(`multipart/related; type="application/dicom"; boundary=${boundary}`)!);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0]!.body, a);
  assert.deepEqual(parts[1]!.body, b);
  assert.equal(parts[0]!.headers['content-type'], 'application/dicom');
});
