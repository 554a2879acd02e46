"""Run the vidjil-api service (the hub starts it: see vidjil_kernel.server.hubconf)."""

import uvicorn

from vidjil_kernel.api.app import create_app
from vidjil_kernel.api.config import ApiConfig

#: idle connections are kept longer than the proxy keeps its own (Node's 5 s): with equal
#: times, the proxy may send a request on a connection the service is closing ("socket
#: hang up", a 503 for the user)
KEEP_ALIVE_SECONDS = 75

config = ApiConfig.from_env()
uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info",
            proxy_headers=False, access_log=True, timeout_keep_alive=KEEP_ALIVE_SECONDS)
