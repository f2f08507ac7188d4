// Tests of getfqdn over hosts files: CPython Lib/socket.py `getfqdn` (gethostbyaddr of the host
// name, then the first of canonical name and aliases holding a dot) with glibc's `files` source
// (first matching line, names compared without case), on the hosts files a unit meets.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getfqdn, parseHosts } from "./fqdn.js";

// What kubelet writes into a pod with hostname and subdomain set, as Juju sets them.
const POD = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
10.1.42.7\tprometheus-0.prometheus-endpoints.cos.svc.cluster.local\tprometheus-0
`;

describe("getfqdn", () => {
  test("a pod's short host name becomes its name under the app's endpoints service", () => {
    assert.equal(
      getfqdn("prometheus-0", parseHosts(POD)),
      "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
    );
    assert.equal(
      getfqdn("PROMETHEUS-0", parseHosts(POD)),
      "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
    );
  });

  test("Debian's `127.0.1.1 host.domain host` line gives host.domain", () => {
    const hosts = parseHosts("127.0.0.1 localhost\n127.0.1.1 vm.example.org vm  # set by the installer\n");
    assert.equal(getfqdn("vm", hosts), "vm.example.org");
  });

  test("the address maps back to its first line, whose names may hold no dot (then its canonical name)", () => {
    // The host resolves to 127.0.0.1, whose first line names only localhost: Python answers localhost.
    const hosts = parseHosts("127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm\n");
    assert.equal(getfqdn("vm", hosts), "localhost");
  });

  test("an alias with a dot wins over a canonical name without one", () => {
    assert.equal(getfqdn("web", parseHosts("10.0.0.5 web web.lan\n")), "web.lan");
  });

  test("a host name no line names is returned as it is; comments and blank lines are ignored", () => {
    assert.equal(
      getfqdn("lonely", parseHosts("# only comments\n\n  \n10.0.0.1 other.example other\n")),
      "lonely",
    );
    assert.deepEqual(parseHosts("10.0.0.1 a # b c\n#10.0.0.2 d\n10.0.0.3\n"), [
      { address: "10.0.0.1", names: ["a"] },
    ]);
  });
});
