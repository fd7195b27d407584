// Process helpers shared by the Node-driven suites (protocol, interop/node, interop/browser).
import { createServer } from "node:net";

// Children still alive when the test process exits are killed, so no server outlives a run.
export const live = new Set();
process.on("exit", () => {
  for (const child of live) {
    try { child.kill("SIGKILL"); } catch { /* already gone */ }
  }
});

/** A free TCP port: listen on port 0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
