// The sharded Redis adapter (Redis 7 SPUBLISH/SSUBSCRIBE, dynamic subscription mode as
// the reference's default) in a mixed cluster with @socket.io/redis-adapter's
// createShardedAdapter: see mixed.js.
import { mixedCluster } from "./mixed.js";

mixedCluster("redis-sharded");
