import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrfdsError, describeThrown, isDrfdsError } from './DrfdsError.js';

test('DrfdsError carries a code and an optional HTTP status', () => {
  const error = new DrfdsError('dicom/not-dicom', 'not a DICOM file', { httpStatus: 415 });
  assert.equal(error.code, 'dicom/not-dicom');
  assert.equal(error.httpStatus, 415);
  assert.ok(isDrfdsError(error));
  assert.ok(!isDrfdsError(new Error('x')));
});

test('describeThrown reads the shapes third-party libraries throw', () => {
  assert.equal(describeThrown('plain string'), 'plain string');
  assert.equal(describeThrown({ exception: 'dicomParser: bad tag' }), 'dicomParser: bad tag');
  assert.equal(describeThrown(new Error('boom')), 'boom');
  assert.equal(describeThrown({ a: 1 }), '{"a":1}');
});
