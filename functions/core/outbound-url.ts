import ipaddr from 'ipaddr.js';

/** `::/96`: the deprecated IPv4-compatible IPv6 form (`::10.0.0.1`), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

/**
 * Is this address one the hub may connect to? Only public unicast; loopback only when the local hub
 * allows it. ipaddr.js unwraps IPv4-mapped IPv6 and reads decimal, octal and hex IPv4 forms; an
 * IPv4-compatible IPv6 address (`::169.254.169.254`) is refused, since some stacks route it to the
 * IPv4 address it embeds and no public service needs it.
 */
export function isAllowedAddress(address: string, allowLoopback: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (parsed.kind() === 'ipv6' && range !== 'loopback' && parsed.match(IPV4_COMPATIBLE)) return false;
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
  if (url.port === '0') return 'must not use port 0.';
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
