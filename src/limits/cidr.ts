/**
 * @module
 * IP addresses and CIDR ranges as 128-bit numbers (IPv4 mapped into ::ffff:0:0/96), so one
 * comparison covers both families and an IPv4-mapped peer matches an IPv4 range.
 */

export interface Cidr {
  readonly base: bigint;
  readonly mask: bigint;
}

const ALL = (1n << 128n) - 1n;
const V4_MAPPED = 0xffffn << 32n;

/** An address as a 128-bit number, or null when it is not an IP address. */
export function parseIp(text: string): bigint | null {
  const address = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseIpv4(address);
  if (v4 !== null) return V4_MAPPED | v4;
  return parseIpv6(address.split("%")[0]!);
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split("::").length > 2) return null;
  let tail = text;
  let v4Tail: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    v4Tail = parseIpv4(text.slice(lastColon + 1));
    if (v4Tail === null) return null;
    tail = text.slice(0, lastColon + 1) + "0:0";
  }
  const [head = "", rest] = tail.split("::");
  const left = head ? head.split(":") : [];
  const right = rest === undefined ? [] : rest ? rest.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array(rest === undefined ? 0 : missing).fill("0"), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return v4Tail === null ? value : (value & ~0xffffffffn) | v4Tail;
}

/** A CIDR (or a bare address), or null when it cannot be read. */
export function parseCidr(text: string): Cidr | null {
  const [address = "", prefixText] = text.trim().split("/");
  const base = parseIp(address);
  if (base === null) return null;
  const isV4 = parseIpv4(address) !== null;
  const maxPrefix = isV4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > maxPrefix) return null;
  const bits = BigInt((isV4 ? 96 : 0) + prefix);
  const mask = bits === 0n ? 0n : (ALL << (128n - bits)) & ALL;
  return { base: base & mask, mask };
}

/** True when `ip` (already parsed) is inside any of `ranges`. */
export function inRanges(ip: bigint, ranges: readonly Cidr[]): boolean {
  return ranges.some((range) => (ip & range.mask) === range.base);
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"].map((c) => parseCidr(c)!);

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  const ip = parseIp(address);
  return ip !== null && inRanges(ip, LOOPBACK);
}
