// Prints the CORS answer of a server to a polling handshake sent with an Origin header:
//   node cors-check.cjs URL ORIGIN  ->  {"status":200,"acao":"http://a.test"}
const [url, origin] = process.argv.slice(2);
fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } }).then(
  (res) => console.log(JSON.stringify({ status: res.status, acao: res.headers.get("access-control-allow-origin") })),
  (err) => console.log(JSON.stringify({ error: String(err) })),
);
