// Makes a test CA and a server certificate it signs (for localhost and 127.0.0.1), with the
// npm `selfsigned` package (tests/node_modules), for the C TLS tests:
//
//   node tls-certs.cjs DIR
//
// writes DIR/ca.pem, DIR/cert.pem and DIR/key.pem (EC P-256, PKCS#8), then prints
// {"ev":"ready"} and exits.
const fs = require("node:fs");
const path = require("node:path");
const { load, out } = require("./modules.cjs");
const selfsigned = load("selfsigned");

(async () => {
  const dir = process.argv[2];
  const ca = await selfsigned.generate([{ name: "commonName", value: "sio test CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  // Default extensions: serverAuth, SAN localhost + 127.0.0.1.
  const leaf = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { key: ca.private, cert: ca.cert },
  });
  fs.writeFileSync(path.join(dir, "ca.pem"), ca.cert);
  fs.writeFileSync(path.join(dir, "cert.pem"), leaf.cert);
  fs.writeFileSync(path.join(dir, "key.pem"), leaf.private);
  out({ ev: "ready" });
})().catch((e) => {
  out({ ev: "error", message: String(e && e.stack) });
  process.exit(1);
});
