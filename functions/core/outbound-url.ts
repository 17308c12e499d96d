import ipaddr from 'ipaddr.js';

/**
 * Is this address one the hub may connect to? Only public unicast; loopback only when the local hub
 * allows it. ipaddr.js unwraps IPv4-mapped IPv6 and reads decimal, octal and hex IPv4 forms.
 */
export function isAllowedAddress(address: string, allowLoopback: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (range === 'unicast') return true;
  return allowLoopback && range === 'loopback';
}

/** Checks a URL at registration time; returns the problem, or undefined when it is acceptable. */
export function checkOutboundUrl(raw: string, allowLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL.';
  }
  if (url.username || url.password) return 'must not carry credentials.';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host);
  const loopbackHost = host === 'localhost' || (literal && isLoopback(host));
  if (url.protocol === 'http:' && !(allowLoopback && loopbackHost)) {
    return 'must use https (http is allowed only to loopback on the local hub).';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https.';
  if (host === 'localhost' && !allowLoopback) return 'must not point at this host.';
  if (literal && !isAllowedAddress(host, allowLoopback)) return 'must point at a public address.';
  return undefined;
}

function isLoopback(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'loopback';
}
