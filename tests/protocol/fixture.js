// Starts a server under test on a free port and waits for its
// "listening on PORT" line.
//
// `startServer()` starts the conformance server: target/debug/examples/
// conformance-server (built by `cargo build -p sio-core --examples`);
// SIO_CONFORMANCE_SERVER overrides the path. A path ending in .js/.mjs is run
// with the current node binary (used to validate these tests against the npm
// reference implementation, see reference-server.js).
//
// `startServer({ bin: "limits-server", env: {...} })` starts another example
// binary with extra environment variables. SIO_EXAMPLES_DIR overrides the
// directory of the example binaries (default target/debug/examples), and
// SIO_LIMITS_SERVER the path of limits-server.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { live, freePort } from "../support.js";

const here = dirname(fileURLToPath(import.meta.url));
const EXAMPLES_DIR = process.env.SIO_EXAMPLES_DIR
  ? resolve(process.env.SIO_EXAMPLES_DIR)
  : resolve(here, "../../target/debug/examples");
/** Environment variables overriding the path of one example binary. */
const OVERRIDE = { "conformance-server": "SIO_CONFORMANCE_SERVER", "limits-server": "SIO_LIMITS_SERVER" };
const READY_TIMEOUT_MS = 20000;

/**
 * Starts example binary `bin` (default the conformance server) with `env`
 * added to the environment; resolves to a handle once it listens.
 */
export async function startServer({ bin: name = "conformance-server", env = {} } = {}) {
  const override = OVERRIDE[name] && process.env[OVERRIDE[name]];
  const bin = override ? resolve(override) : resolve(EXAMPLES_DIR, name);
  if (!existsSync(bin)) {
    throw new Error(
      `${name} not found at ${bin} (build it with \`cargo build -p sio-core --examples\` or set ${OVERRIDE[name] ?? "SIO_EXAMPLES_DIR"})`,
    );
  }
  const port = await freePort();
  const isJs = /\.[cm]?js$/.test(bin);
  const opts = { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } };
  const child = isJs ? spawn(process.execPath, [bin, String(port)], opts) : spawn(bin, [String(port)], opts);
  live.add(child);

  const server = {
    port,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    child,
    stdout: "",
    stderr: "",
    exit: null,
    /** Kills the server; resolves once the process is gone. */
    async stop() {
      if (server.exit) return;
      const gone = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGKILL");
      await gone;
    },
    /** Last lines of the server's output, for failure messages. */
    tail(n = 20) {
      return (server.stdout + server.stderr).split("\n").slice(-n).join("\n");
    },
  };

  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    server.stderr = (server.stderr + d).slice(-20000);
  });
  child.on("exit", (code, signal) => {
    live.delete(child);
    server.exit = { code, signal };
  });

  await new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`server did not print "listening on ${port}" within ${READY_TIMEOUT_MS} ms:\n${server.tail()}`));
    }, READY_TIMEOUT_MS);
    const onData = () => {
      const m = /listening on (\d+)/.exec(server.stdout);
      if (m) {
        clearTimeout(timer);
        const printed = Number(m[1]);
        if (printed !== port) {
          child.kill("SIGKILL");
          fail(new Error(`server printed "listening on ${printed}" but was asked for port ${port}`));
          return;
        }
        ok();
      }
    };
    child.stdout.on("data", (d) => {
      server.stdout = (server.stdout + d).slice(-20000);
      onData();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`server exited before it was ready (code ${code}, signal ${signal}):\n${server.tail()}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      fail(e);
    });
  });
  return server;
}
