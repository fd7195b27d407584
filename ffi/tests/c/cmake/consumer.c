/* Proves an installed libsio links and runs: the library is the header's version, and a
 * runtime and a server listen. */
#include <sio.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  sio_runtime *rt = NULL;
  sio_server *srv = NULL;
  uint16_t port = 0;
  if (strcmp(sio_version(), SIO_VERSION_STRING) != 0 || sio_version_number() != SIO_VERSION_NUMBER) {
    printf("libsio %s (%u), sio.h %s (%d)\n", sio_version(), sio_version_number(), SIO_VERSION_STRING,
           SIO_VERSION_NUMBER);
    return 4;
  }
  if (sio_runtime_new(1, NULL, NULL, NULL, &rt) != SIO_OK) return 1;
  if (sio_server_new(rt, NULL, &srv) != SIO_OK) return 2;
  if (sio_server_listen(srv, "127.0.0.1:0", 11, &port) != SIO_OK || port == 0) return 3;
  printf("libsio %s listening on %u\n", sio_version(), port);
  sio_server_free(srv);
  sio_runtime_free(rt);
  return 0;
}
