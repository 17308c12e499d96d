import { describe, expect, it } from 'vitest';
import { isAnotherWrite, objectWrite } from '../../functions/core/object-write.js';

describe('object writes', () => {
  it('reads what storage answers: quotes dropped, the unversioned "null" version left out', () => {
    expect(objectWrite('"abc"', '3HL4kqtJlcpXroDTDmJ')).toEqual({
      eTag: 'abc',
      versionId: '3HL4kqtJlcpXroDTDmJ',
    });
    expect(objectWrite('abc', 'null')).toEqual({ eTag: 'abc' });
    expect(objectWrite(undefined, undefined)).toEqual({});
  });

  it('tells another write by its version when both have one, else by its ETag, else not at all', () => {
    expect(isAnotherWrite({ eTag: 'a', versionId: 'v1' }, { eTag: 'a', versionId: 'v2' })).toBe(true);
    expect(isAnotherWrite({ eTag: 'a', versionId: 'v1' }, { eTag: 'b', versionId: 'v1' })).toBe(false);
    expect(isAnotherWrite({ eTag: 'a' }, { eTag: 'b', versionId: 'v2' })).toBe(true);
    expect(isAnotherWrite({ eTag: 'a' }, { eTag: 'a' })).toBe(false);
    expect(isAnotherWrite({ eTag: 'a' }, {})).toBe(false);
    expect(isAnotherWrite(undefined, { eTag: 'a' })).toBe(false);
  });
});
