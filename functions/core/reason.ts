/** The longest reason the hub stores or answers, in UTF-16 code units (≈ 1 KB of mostly-ASCII text). */
export const MAX_REASON_CHARS = 1024;

/**
 * Caps a reason (a parser's message, a partner's error, an exception's text) before it is stored or
 * answered, so input of any size yields a bounded record: a 300,000-character tag name in a parser
 * message must not make a DynamoDB write exceed 400 KB. The cut never splits a surrogate pair.
 */
export function capReason(text: string, max = MAX_REASON_CHARS): string {
  if (text.length <= max) return text;
  const marker = '… (cut)';
  let end = max - marker.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}${marker}`;
}
