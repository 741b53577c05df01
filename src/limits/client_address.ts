/**
 * @module
 * Who the client is, for rate limits and forwarded headers: the TCP peer, unless the peer is
 * a trusted proxy (server.rate_limits.trust_proxy_headers and trusted_proxy_cidrs), in which
 * case the nearest untrusted address in X-Forwarded-For, or X-Real-IP.
 */
import { type Cidr, inRanges, parseCidr, parseIp } from "./cidr.ts";

export interface ClientAddress {
  /** The address limits are keyed on. */
  readonly ip: string;
  /** The peer is a trusted proxy: its X-Real-IP and Forwarded may be passed on. */
  readonly viaTrustedProxy: boolean;
}

export interface ProxyTrust {
  readonly trustProxyHeaders: boolean;
  readonly trustedProxyCidrs: readonly string[];
}

export class ClientAddresses {
  readonly #trust: boolean;
  readonly #ranges: readonly Cidr[];

  constructor(settings: ProxyTrust) {
    this.#trust = settings.trustProxyHeaders;
    this.#ranges = settings.trustedProxyCidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
  }

  resolve(peer: string, headers: Headers): ClientAddress {
    if (!this.#trust || !this.#isTrusted(peer)) return { ip: peer, viaTrustedProxy: false };
    // Right to left: each hop appended the address it saw; the first one not ours is the client.
    const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i]!;
      if (parseIp(hop) === null) break;
      if (!this.#isTrusted(hop)) return { ip: hop, viaTrustedProxy: true };
    }
    const realIp = headers.get("x-real-ip")?.trim();
    if (realIp && parseIp(realIp) !== null) return { ip: realIp, viaTrustedProxy: true };
    return { ip: chain[0] && parseIp(chain[0]) !== null ? chain[0] : peer, viaTrustedProxy: true };
  }

  #isTrusted(address: string): boolean {
    const ip = parseIp(address);
    return ip !== null && inRanges(ip, this.#ranges);
  }
}
