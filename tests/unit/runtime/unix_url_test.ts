import { describe, expect, test } from "bun:test";
import { unixTarget } from "../../../src/runtime/unix_url.ts";

describe("unixTarget", () => {
  test("leaves http(s) URLs alone", () => {
    expect(unixTarget("http://localhost:12434/engines/v1/models")).toBeUndefined();
    expect(unixTarget("https://dmr/unix:///x.sock")).toBeUndefined();
  });

  test("a bare socket path is fetched at / and API paths appended to it are kept", () => {
    expect(unixTarget("unix:///run/dmr.sock")).toEqual({ socketPath: "/run/dmr.sock", url: "http://localhost/" });
    expect(unixTarget("unix:///run/dmr.sock/engines/v1/models")).toEqual({
      socketPath: "/run/dmr.sock",
      url: "http://localhost/engines/v1/models",
    });
  });

  test("the path after the .sock segment is a base path; the query string travels with it", () => {
    expect(unixTarget("unix:///var/run/docker.sock/exp/vDD4.40/engines/v1/chat/completions?x=1")).toEqual({
      socketPath: "/var/run/docker.sock",
      url: "http://localhost/exp/vDD4.40/engines/v1/chat/completions?x=1",
    });
    expect(unixTarget("unix:///tmp/a.socket/v1?q")).toEqual({ socketPath: "/tmp/a.socket", url: "http://localhost/v1?q" });
  });

  test("a .sock inside a directory name does not end the socket path early", () => {
    expect(unixTarget("unix:///tmp/my.sockets/dmr.sock/x")).toEqual({ socketPath: "/tmp/my.sockets/dmr.sock", url: "http://localhost/x" });
  });

  test("without a .sock segment the whole path is the socket", () => {
    expect(unixTarget("unix:///run/model-runner?x")).toEqual({ socketPath: "/run/model-runner", url: "http://localhost/?x" });
  });
});
