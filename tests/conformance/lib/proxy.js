// A TCP proxy between a client and a server that a scenario can break on purpose:
//   cut     close every current connection (both sides see the TCP connection end);
//           new connections are accepted again at once
//   down    like cut, and every new connection is closed as soon as it is accepted
//   up      accept new connections again (after down)
//   freeze  current connections stop forwarding in both directions (bytes are kept, closes
//           are not passed on), as a network that silently drops traffic; new connections work
//   thaw    frozen connections forward what they kept and pass on closes again
import { createServer, connect } from "node:net";

export class Proxy {
  constructor(targetPort, targetHost = "127.0.0.1") {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
    this.pairs = new Set();
    this.refuse = false;
    this.server = createServer((c) => this.#accept(c));
    this.server.on("error", () => {});
  }

  /** Listens on a free loopback port; resolves with it. */
  listen() {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve((this.port = this.server.address().port)));
    });
  }

  #accept(c) {
    c.on("error", () => {});
    if (this.refuse) {
      c.destroy();
      return;
    }
    const u = connect(this.targetPort, this.targetHost);
    u.on("error", () => {});
    const pair = { c, u, frozen: false, held: { c: [], u: [] }, closed: { c: false, u: false } };
    this.pairs.add(pair);
    const forward = (from, to, key) => {
      from.on("data", (d) => {
        if (pair.frozen) pair.held[key].push(d);
        else if (!to.destroyed) to.write(d);
      });
      from.on("close", () => {
        pair.closed[key] = true;
        if (!pair.frozen) this.#end(pair);
      });
    };
    forward(c, u, "c");
    forward(u, c, "u");
  }

  #end(pair) {
    pair.c.destroy();
    pair.u.destroy();
    this.pairs.delete(pair);
  }

  cut() {
    for (const pair of [...this.pairs]) this.#end(pair);
  }

  down() {
    this.refuse = true;
    this.cut();
  }

  up() {
    this.refuse = false;
  }

  freeze() {
    for (const pair of this.pairs) pair.frozen = true;
  }

  thaw() {
    for (const pair of [...this.pairs]) {
      if (!pair.frozen) continue;
      pair.frozen = false;
      for (const d of pair.held.c.splice(0)) if (!pair.u.destroyed) pair.u.write(d);
      for (const d of pair.held.u.splice(0)) if (!pair.c.destroyed) pair.c.write(d);
      if (pair.closed.c || pair.closed.u) this.#end(pair);
    }
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
