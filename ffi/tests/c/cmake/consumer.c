/* Proves an installed libsio links and runs: a runtime and a server that listens. */
#include <sio.h>
#include <stdio.h>

int main(void) {
  sio_runtime *rt = NULL;
  sio_server *srv = NULL;
  uint16_t port = 0;
  if (sio_runtime_new(1, NULL, NULL, NULL, &rt) != SIO_OK) return 1;
  if (sio_server_new(rt, NULL, &srv) != SIO_OK) return 2;
  if (sio_server_listen(srv, "127.0.0.1:0", 11, &port) != SIO_OK || port == 0) return 3;
  printf("listening on %u\n", port);
  sio_server_free(srv);
  sio_runtime_free(rt);
  return 0;
}
