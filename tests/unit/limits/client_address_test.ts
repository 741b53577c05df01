import { describe, expect, test } from "bun:test";
import { isLoopback, parseCidr, parseIp } from "../../../src/limits/cidr.ts";
import { ClientAddresses } from "../../../src/limits/client_address.ts";

describe("cidr", () => {
  test("parseIp() and parseCidr() read both families and refuse nonsense", () => {
    expect(parseIp("10.0.0.1")).not.toBeNull();
    expect(parseIp("2001:db8::1")).not.toBeNull();
    expect(parseIp("[::1]")).not.toBeNull();
    expect(parseIp("256.0.0.1")).toBeNull();
    expect(parseIp("1::2::3")).toBeNull();
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("fd00::/8")).not.toBeNull();
  });

  test("isLoopback() covers 127/8, ::1 and IPv4-mapped loopback only", () => {
    expect(["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
    expect(["10.0.0.1", "::2", "", "localhost"].some(isLoopback)).toBe(false);
  });
});

describe("ClientAddresses", () => {
  const trusting = new ClientAddresses({ trustProxyHeaders: true, trustedProxyCidrs: ["10.0.0.0/8"] });

  test("ClientAddresses.resolve() believes X-Forwarded-For only from a trusted peer", () => {
    const headers = new Headers({ "x-forwarded-for": "203.0.113.5, 10.0.0.2" });
    expect(trusting.resolve("10.0.0.1", headers)).toEqual({ ip: "203.0.113.5", viaTrustedProxy: true });
    expect(trusting.resolve("198.51.100.1", headers)).toEqual({ ip: "198.51.100.1", viaTrustedProxy: false });
    const off = new ClientAddresses({ trustProxyHeaders: false, trustedProxyCidrs: ["10.0.0.0/8"] });
    expect(off.resolve("10.0.0.1", headers)).toEqual({ ip: "10.0.0.1", viaTrustedProxy: false });
  });

  test("ClientAddresses.resolve() takes the nearest untrusted hop, so a spoofed left end is ignored", () => {
    const headers = new Headers({ "x-forwarded-for": "1.1.1.1, 203.0.113.5" });
    expect(trusting.resolve("10.0.0.1", headers).ip).toBe("203.0.113.5");
  });

  test("ClientAddresses.resolve() falls back to X-Real-IP, then to the peer", () => {
    expect(trusting.resolve("10.0.0.1", new Headers({ "x-real-ip": "203.0.113.9" })).ip).toBe("203.0.113.9");
    expect(trusting.resolve("10.0.0.1", new Headers({ "x-real-ip": "junk" })).ip).toBe("10.0.0.1");
  });
});
