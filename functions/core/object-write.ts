/**
 * One write of an object, as storage names it: its ETag (quotes dropped) and, in a versioned bucket,
 * its version id. The hub records the write it checked, so that a notification can be told apart:
 * a repeat for that same write, or a later write to the same key.
 */
export interface ObjectWrite {
  eTag?: string;
  versionId?: string;
}

/** An ObjectWrite from what storage answered (S3 quotes ETags in responses, not in notifications). */
export function objectWrite(eTag: string | undefined, versionId: string | undefined): ObjectWrite {
  const tag = eTag?.replace(/"/g, '');
  return { ...(tag ? { eTag: tag } : {}), ...(versionId && versionId !== 'null' ? { versionId } : {}) };
}

/**
 * Is `seen` another write than `checked`? Version ids decide when both have one; otherwise ETags (an
 * unversioned store: the same bytes written again count as the same write, which serves nothing new).
 * When either names neither, the two cannot be told apart and count as the same.
 */
export function isAnotherWrite(checked: ObjectWrite | undefined, seen: ObjectWrite): boolean {
  if (checked?.versionId && seen.versionId) return checked.versionId !== seen.versionId;
  if (checked?.eTag && seen.eTag) return checked.eTag !== seen.eTag;
  return false;
}
