// undici's index loads all of it (fetch, WebSocket, caches: some 110 modules, 3 MB of heap at rest);
// the service needs its connection pool only. The package has no exports map, so its own module
// can be imported; the version is pinned by the lockfile and the suites run against it.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici'
  export default Pool
}
